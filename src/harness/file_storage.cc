#include "harness/file_storage.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace faultline::harness {

namespace {

Error io_error(const std::string& what) {
    return make_error(ErrorCode::io_error, fmt::format("{}: {}", what, std::strerror(errno)));
}

Status fsync_path(const std::string& path, bool directory) {
    const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) return io_error("cannot open " + path);
    const int synced = ::fsync(fd);
    ::close(fd);
    if (synced != 0) return io_error("cannot fsync " + path);
    return ok_status();
}

}  // namespace

Result<FileStorage> FileStorage::open(const std::string& folder) {
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    if (error) return make_error(ErrorCode::io_error, fmt::format("cannot create {}: {}", folder, error.message()));
    FileStorage storage(folder);
    for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
        if (!entry.is_regular_file()) continue;
        const std::string name = entry.path().filename().string();
        if (name.starts_with(".")) continue;
        std::ifstream in(entry.path(), std::ios::binary);
        std::ostringstream bytes;
        bytes << in.rdbuf();
        if (!in && !in.eof()) return make_error(ErrorCode::io_error, "cannot read " + entry.path().string());
        File file;
        file.contents = bytes.str();
        file.on_disk = file.contents.size();
        file.same_prefix = file.on_disk;
        file.exists_on_disk = true;
        storage.files_.emplace(name, std::move(file));
    }
    if (error) return make_error(ErrorCode::io_error, fmt::format("cannot list {}: {}", folder, error.message()));
    return storage;
}

Status FileStorage::check_name(std::string_view file) const {
    if (file.empty() || file.starts_with(".") || file.find('/') != std::string_view::npos) {
        return make_error(ErrorCode::invalid_argument, fmt::format("'{}' is not a file name storage accepts", file));
    }
    return ok_status();
}

FileStorage::File& FileStorage::file_for_write(std::string_view file) {
    auto found = files_.find(file);
    if (found == files_.end()) found = files_.emplace(std::string(file), File{}).first;
    if (auto removed = removed_.find(file); removed != removed_.end()) removed_.erase(removed);
    found->second.dirty = true;
    return found->second;
}

Status FileStorage::write(std::string_view file, std::uint64_t offset, std::string_view data) {
    if (auto status = check_name(file); !status) return status;
    File& f = file_for_write(file);
    if (f.contents.size() < offset + data.size()) f.contents.resize(offset + data.size(), '\0');
    f.contents.replace(offset, data.size(), data);
    f.same_prefix = std::min(f.same_prefix, offset);
    return ok_status();
}

Status FileStorage::append(std::string_view file, std::string_view data) {
    if (auto status = check_name(file); !status) return status;
    File& f = file_for_write(file);
    f.same_prefix = std::min<std::uint64_t>(f.same_prefix, f.contents.size());
    f.contents.append(data);
    return ok_status();
}

Status FileStorage::truncate(std::string_view file, std::uint64_t size) {
    if (auto status = check_name(file); !status) return status;
    auto found = files_.find(file);
    if (found == files_.end() || found->second.contents.size() <= size) return ok_status();
    File& f = found->second;
    f.contents.resize(size);
    f.same_prefix = std::min(f.same_prefix, size);
    f.dirty = true;
    return ok_status();
}

Status FileStorage::remove(std::string_view file) {
    if (auto status = check_name(file); !status) return status;
    auto found = files_.find(file);
    if (found == files_.end()) return ok_status();
    if (found->second.exists_on_disk) removed_.emplace(file);
    files_.erase(found);
    return ok_status();
}

Status FileStorage::sync() {
    bool folder_changed = false;
    for (const std::string& name : removed_) {
        const std::string path = folder_ + "/" + name;
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) return io_error("cannot remove " + path);
        folder_changed = true;
    }
    removed_.clear();
    for (auto& [name, f] : files_) {
        if (!f.dirty) continue;
        const std::string path = folder_ + "/" + name;
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return io_error("cannot open " + path);
        folder_changed = folder_changed || !f.exists_on_disk;
        const std::uint64_t from = std::min<std::uint64_t>(f.same_prefix, f.on_disk);
        std::string_view rest = std::string_view(f.contents).substr(from);
        auto offset = static_cast<off_t>(from);
        bool failed = false;
        while (!rest.empty() && !failed) {
            const ssize_t written = ::pwrite(fd, rest.data(), rest.size(), offset);
            if (written < 0 && errno == EINTR) continue;
            failed = written <= 0;
            if (!failed) {
                rest.remove_prefix(static_cast<std::size_t>(written));
                offset += written;
            }
        }
        failed = failed || ::ftruncate(fd, static_cast<off_t>(f.contents.size())) != 0 || ::fdatasync(fd) != 0;
        const Error error = io_error("cannot write " + path);
        ::close(fd);
        if (failed) return error;
        f.on_disk = f.contents.size();
        f.same_prefix = f.on_disk;
        f.exists_on_disk = true;
        f.dirty = false;
    }
    if (folder_changed) return fsync_path(folder_, true);
    return ok_status();
}

Result<std::string> FileStorage::read(std::string_view file) {
    const auto found = files_.find(file);
    if (found == files_.end()) return make_error(ErrorCode::not_found, fmt::format("no file '{}'", file));
    return found->second.contents;
}

bool FileStorage::exists(std::string_view file) const {
    return files_.find(file) != files_.end();
}

std::vector<std::string> FileStorage::list() const {
    std::vector<std::string> names;
    for (const auto& [name, file] : files_) names.push_back(name);
    return names;
}

}  // namespace faultline::harness
