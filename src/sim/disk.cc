#include "sim/disk.h"

#include <fmt/format.h>

#include "base/assert.h"

namespace faultline::sim {

SimDisk::SimDisk(std::uint64_t seed, DiskConfig config) : random_(seed), config_(config) {}

std::uint64_t SimDisk::used_bytes() const {
    std::uint64_t total = 0;
    for (const auto& [name, file] : files_) {
        if (file.current_exists) total += file.current.size();
    }
    return total;
}

Status SimDisk::check_write(std::uint64_t new_bytes) {
    const bool io_error = random_.chance(config_.io_error_probability);
    if (io_error) {
        ++stats_.io_errors;
        return make_error(ErrorCode::io_error, "simulated I/O error");
    }
    if (config_.capacity_bytes > 0 && used_bytes() + new_bytes > config_.capacity_bytes) {
        ++stats_.disk_full_errors;
        return make_error(ErrorCode::disk_full, fmt::format("disk full ({} bytes)", config_.capacity_bytes));
    }
    return ok_status();
}

SimDisk::File& SimDisk::file_for_write(std::string_view name) {
    auto found = files_.find(name);
    if (found == files_.end()) found = files_.emplace(std::string(name), File{}).first;
    return found->second;
}

void SimDisk::apply(std::string& image, bool& exists, const PendingOp& op) {
    switch (op.kind) {
        case PendingOp::Kind::write: {
            const std::size_t end = op.offset + op.data.size();
            if (image.size() < end) image.resize(end, '\0');
            image.replace(op.offset, op.data.size(), op.data);
            exists = true;
            return;
        }
        case PendingOp::Kind::truncate:
            if (image.size() > op.offset) image.resize(op.offset);
            exists = true;
            return;
        case PendingOp::Kind::remove:
            image.clear();
            exists = false;
            return;
    }
}

Status SimDisk::write(std::string_view name, std::uint64_t offset, std::string_view data) {
    File& file = file_for_write(name);
    const std::uint64_t end = offset + data.size();
    const std::uint64_t growth = end > file.current.size() ? end - file.current.size() : 0;
    if (auto status = check_write(growth); !status) return status;
    PendingOp op{PendingOp::Kind::write, offset, std::string(data)};
    apply(file.current, file.current_exists, op);
    file.pending.push_back(std::move(op));
    ++stats_.writes;
    return ok_status();
}

Status SimDisk::append(std::string_view name, std::string_view data) {
    auto found = files_.find(name);
    const std::uint64_t offset =
        found == files_.end() || !found->second.current_exists ? 0 : found->second.current.size();
    return write(name, offset, data);
}

Status SimDisk::truncate(std::string_view name, std::uint64_t size) {
    File& file = file_for_write(name);
    PendingOp op{PendingOp::Kind::truncate, size, {}};
    apply(file.current, file.current_exists, op);
    file.pending.push_back(std::move(op));
    return ok_status();
}

Status SimDisk::remove(std::string_view name) {
    auto found = files_.find(name);
    if (found == files_.end() || !found->second.current_exists) return ok_status();
    PendingOp op{PendingOp::Kind::remove, 0, {}};
    apply(found->second.current, found->second.current_exists, op);
    found->second.pending.push_back(std::move(op));
    return ok_status();
}

Status SimDisk::sync() {
    const bool io_error = random_.chance(config_.io_error_probability);
    if (sync_listener_) sync_listener_(config_.sync_latency);
    if (io_error) {
        ++stats_.io_errors;
        return make_error(ErrorCode::io_error, "simulated I/O error during sync");
    }
    for (auto& [name, file] : files_) {
        for (const PendingOp& op : file.pending) apply(file.durable, file.durable_exists, op);
        file.pending.clear();
        // Comparing whole images would cost a file's size per sync; sizes must agree.
        FL_ASSERT_EQ(file.durable.size(), file.current.size());
    }
    ++stats_.syncs;
    return ok_status();
}

Result<std::string> SimDisk::read(std::string_view name) {
    auto found = files_.find(name);
    if (found == files_.end() || !found->second.current_exists) {
        return make_error(ErrorCode::not_found, fmt::format("no such file '{}'", name));
    }
    File& file = found->second;
    const bool flip = random_.chance(config_.bit_flip_probability);
    const std::uint64_t bit = random_.next();
    if (flip && !file.current.empty()) {
        const std::size_t byte = (bit >> 3) % file.current.size();
        const auto mask = static_cast<char>(1u << (bit & 7));
        file.current[byte] ^= mask;
        // Bit rot damages the medium: the durable image flips too if it holds that byte.
        if (file.durable_exists && byte < file.durable.size()) file.durable[byte] ^= mask;
        ++stats_.bit_flips;
    }
    return file.current;
}

bool SimDisk::has_unsynced_writes() const {
    for (const auto& [name, file] : files_) {
        if (!file.pending.empty()) return true;
    }
    return false;
}

bool SimDisk::exists(std::string_view name) const {
    auto found = files_.find(name);
    return found != files_.end() && found->second.current_exists;
}

std::vector<std::string> SimDisk::list() const {
    std::vector<std::string> names;
    for (const auto& [name, file] : files_) {
        if (file.current_exists) names.push_back(name);
    }
    return names;
}

void SimDisk::crash() {
    for (auto it = files_.begin(); it != files_.end();) {
        File& file = it->second;
        const bool torn = random_.chance(config_.torn_write_probability);
        const std::uint64_t cut_draw = random_.next();
        const std::uint64_t byte_draw = random_.next();
        stats_.unsynced_writes_lost += file.pending.size();
        if (torn && !file.pending.empty()) {
            // Writes [0, last) reached the medium whole; write `last` only in part.
            const std::size_t last = cut_draw % file.pending.size();
            for (std::size_t i = 0; i < last; ++i) apply(file.durable, file.durable_exists, file.pending[i]);
            PendingOp partial = file.pending[last];
            if (partial.kind == PendingOp::Kind::write && !partial.data.empty()) {
                partial.data.resize(byte_draw % partial.data.size());
                apply(file.durable, file.durable_exists, partial);
                ++stats_.torn_writes;
            }
        }
        file.pending.clear();
        file.current = file.durable;
        file.current_exists = file.durable_exists;
        if (!file.current_exists) {
            it = files_.erase(it);
        } else {
            ++it;
        }
    }
}

}  // namespace faultline::sim
