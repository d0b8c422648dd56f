#include "sim/trace_file.h"

#include <fmt/format.h>
#include <zstd.h>

#include <cstring>
#include <utility>

#include "base/assert.h"

namespace faultline::sim {

namespace {

// The layout (docs/formats.md, "trace.bin.zst"). After the magic, records,
// each opening with one byte: an event (its TraceKind), or one of these.
constexpr char kMagic[8] = {'F', 'L', 'T', 'R', 'A', 'C', 'E', '\x01'};
constexpr std::uint8_t kNodeName = 0x20;
constexpr std::uint8_t kTypeName = 0x21;
constexpr std::uint8_t kEnd = 0x22;
constexpr std::uint8_t kLastKind = static_cast<std::uint8_t>(TraceKind::fault);

// Which optional fields an event record carries (its second byte).
constexpr std::uint8_t kHasPeer = 1;
constexpr std::uint8_t kHasId = 2;
constexpr std::uint8_t kTagVarint = 4;
constexpr std::uint8_t kTagFixed = 8;
constexpr std::uint8_t kHasReason = 16;
constexpr std::uint8_t kHasType = 32;
constexpr std::uint8_t kHasText = 64;
constexpr std::uint8_t kTagAsSent = 128;

// Records are compressed and written in chunks of this size: at most this
// much of a run that dies is lost.
constexpr std::size_t kChunkBytes = 128 << 10;
// The most an event record takes without its text.
constexpr std::size_t kEventBytesMax = 2 + 10 * 5 + 8 + 1;

char* put_varint(char* out, std::uint64_t value) {
    while (value >= 0x80) {
        *out++ = static_cast<char>(value | 0x80);
        value >>= 7;
    }
    *out++ = static_cast<char>(value);
    return out;
}

std::uint64_t zigzag(std::int64_t value) {
    return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}

std::int64_t unzigzag(std::uint64_t value) {
    return static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
}

bool is_message(TraceKind kind) {
    return kind == TraceKind::send || kind == TraceKind::deliver || kind == TraceKind::drop;
}

bool is_timer(TraceKind kind) {
    return kind == TraceKind::timer_set || kind == TraceKind::timer_fire || kind == TraceKind::timer_cancel;
}

}  // namespace

// What the writer and the reader both remember of the events so far: fields
// are written as differences from it, and both update it the same way after
// each event.
struct TraceContext {
    // A send's digest by message id (modulo the size): a delivery usually
    // carries the digest its send had, which then takes no bytes.
    static constexpr std::size_t kSent = 1024;

    Nanos time = 0;
    std::uint64_t message_id = 0;  // the last message event's
    std::pair<std::uint64_t, std::uint64_t> sent[kSent] = {};

    bool tag_as_sent(const TraceEvent& event) const {
        const auto& [id, digest] = sent[event.id % kSent];
        return event.kind != TraceKind::send && id == event.id && digest == event.tag;
    }
    void after(const TraceEvent& event) {
        time = event.time;
        if (is_message(event.kind)) message_id = event.id;
        if (event.kind == TraceKind::send) sent[event.id % kSent] = {event.id, event.tag};
    }
};

struct TraceFileWriter::ZstdContext {
    ZSTD_CCtx* context = ZSTD_createCCtx();
    ~ZstdContext() { ZSTD_freeCCtx(context); }
};

Result<std::unique_ptr<TraceFileWriter>> TraceFileWriter::create(const std::string& path, int compression_level) {
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr) return make_error(ErrorCode::io_error, fmt::format("{}: cannot open for writing", path));
    return std::unique_ptr<TraceFileWriter>(new TraceFileWriter(file, path, compression_level));
}

TraceFileWriter::TraceFileWriter(std::FILE* file, std::string path, int compression_level)
    : file_(file),
      path_(std::move(path)),
      zstd_(std::make_unique<ZstdContext>()),
      context_(std::make_unique<TraceContext>()) {
    FL_ASSERT(zstd_->context != nullptr);
    ZSTD_CCtx_setParameter(zstd_->context, ZSTD_c_compressionLevel, compression_level);
    raw_.resize(kChunkBytes + 4096);
    compressed_.resize(ZSTD_compressBound(raw_.size()));
    std::memcpy(reserve(sizeof kMagic), kMagic, sizeof kMagic);
    raw_size_ += sizeof kMagic;
}

TraceFileWriter::~TraceFileWriter() {
    if (!finished_) compress(true);
    std::fclose(file_);
}

char* TraceFileWriter::reserve(std::size_t bytes) {
    if (raw_size_ + bytes > raw_.size()) {
        compress(false);
        if (bytes > raw_.size()) raw_.resize(bytes);
    }
    return raw_.data() + raw_size_;
}

void TraceFileWriter::name_node(NodeId node) {
    if (node.value >= named_.size()) named_.resize(node.value + 1, 0);
    named_[node.value] = 1;
    const std::string name = names_ != nullptr ? names_(node) : std::to_string(node.value);
    char* out = reserve(1 + 10 + 10 + name.size());
    char* const begin = out;
    *out++ = static_cast<char>(kNodeName);
    out = put_varint(out, node.value);
    out = put_varint(out, name.size());
    std::memcpy(out, name.data(), name.size());
    raw_size_ += static_cast<std::size_t>(out - begin) + name.size();
}

std::uint32_t TraceFileWriter::type_index(std::string_view type) {
    CachedType& cached =
        type_cache_[(reinterpret_cast<std::uintptr_t>(type.data()) >> 3) % (sizeof type_cache_ / sizeof *type_cache_)];
    // The address alone could be a reused buffer with other text: compare the text too.
    if (cached.data == type.data() && cached.size == type.size() &&
        std::memcmp(cached.name->data(), type.data(), type.size()) == 0) {
        return cached.index;
    }
    auto found = types_.find(std::string(type));
    if (found == types_.end()) {
        const auto index = static_cast<std::uint32_t>(types_.size());
        found = types_.emplace(std::string(type), index).first;
        char* out = reserve(1 + 10 + 10 + type.size());
        char* const begin = out;
        *out++ = static_cast<char>(kTypeName);
        out = put_varint(out, index);
        out = put_varint(out, type.size());
        std::memcpy(out, type.data(), type.size());
        raw_size_ += static_cast<std::size_t>(out - begin) + type.size();
    }
    cached = CachedType{type.data(), type.size(), &found->first, found->second};
    return found->second;
}

void TraceFileWriter::record(const TraceEvent& event) {
    FL_ASSERT(!finished_);
    if (event.node.value >= named_.size() || named_[event.node.value] == 0) name_node(event.node);
    if (is_message(event.kind) && (event.peer.value >= named_.size() || named_[event.peer.value] == 0)) {
        name_node(event.peer);
    }
    std::uint8_t flags = 0;
    if (event.peer.value != 0) flags |= kHasPeer;
    if (event.id != 0) flags |= kHasId;
    if (event.tag != 0) {
        if (is_message(event.kind) && context_->tag_as_sent(event)) {
            flags |= kTagAsSent;
        } else {
            flags |= event.tag < (std::uint64_t{1} << 56) ? kTagVarint : kTagFixed;
        }
    }
    if (event.reason != 0) flags |= kHasReason;
    std::uint32_t type = 0;
    if (event.message != nullptr) {
        flags |= kHasType;
        type = type_index(event.message->type());
    }
    if (!event.text.empty()) flags |= kHasText;

    char* out = reserve(kEventBytesMax + 10 + event.text.size());
    char* const begin = out;
    *out++ = static_cast<char>(event.kind);
    *out++ = static_cast<char>(flags);
    out = put_varint(out, zigzag(event.time - context_->time));
    out = put_varint(out, event.node.value);
    if (flags & kHasPeer) out = put_varint(out, event.peer.value);
    if (flags & kHasId) {
        if (is_message(event.kind)) {
            out = put_varint(out, zigzag(static_cast<std::int64_t>(event.id - context_->message_id)));
        } else if (is_timer(event.kind)) {
            out = put_varint(out, event.id & 0xffffffffu);
            out = put_varint(out, event.id >> 32);
        } else {
            out = put_varint(out, event.id);
        }
    }
    if (flags & kTagVarint) out = put_varint(out, event.tag);
    if (flags & kTagFixed) {
        for (int byte = 0; byte < 8; ++byte) *out++ = static_cast<char>(event.tag >> (8 * byte));
    }
    if (flags & kHasReason) *out++ = static_cast<char>(event.reason);
    if (flags & kHasType) out = put_varint(out, type);
    if (flags & kHasText) {
        out = put_varint(out, event.text.size());
        std::memcpy(out, event.text.data(), event.text.size());
        out += event.text.size();
    }
    raw_size_ += static_cast<std::size_t>(out - begin);
    context_->after(event);
    if (raw_size_ >= kChunkBytes) compress(false);
}

void TraceFileWriter::finish(std::uint64_t hash, std::uint64_t events) {
    FL_ASSERT(!finished_);
    char* out = reserve(1 + 10 + 8);
    char* const begin = out;
    *out++ = static_cast<char>(kEnd);
    out = put_varint(out, events);
    for (int byte = 0; byte < 8; ++byte) *out++ = static_cast<char>(hash >> (8 * byte));
    raw_size_ += static_cast<std::size_t>(out - begin);
    compress(true);
    finished_ = true;
    if (std::fflush(file_) != 0 && status_) {
        status_ = make_error(ErrorCode::io_error, fmt::format("{}: write failed", path_));
    }
}

void TraceFileWriter::compress(bool end) {
    ZSTD_inBuffer input{raw_.data(), raw_size_, 0};
    // Flushing each chunk leaves whole zstd blocks in the file: what a reader
    // of a cut file can still decompress.
    const ZSTD_EndDirective mode = end ? ZSTD_e_end : ZSTD_e_flush;
    bool done = false;
    while (!done) {
        ZSTD_outBuffer output{compressed_.data(), compressed_.size(), 0};
        const std::size_t remaining = ZSTD_compressStream2(zstd_->context, &output, &input, mode);
        if (ZSTD_isError(remaining)) {
            if (status_)
                status_ = make_error(ErrorCode::io_error, fmt::format("{}: {}", path_, ZSTD_getErrorName(remaining)));
            break;
        }
        if (std::fwrite(compressed_.data(), 1, output.pos, file_) != output.pos && status_) {
            status_ = make_error(ErrorCode::io_error, fmt::format("{}: write failed", path_));
        }
        done = remaining == 0;
    }
    raw_size_ = 0;
    if (std::fflush(file_) != 0 && status_)
        status_ = make_error(ErrorCode::io_error, fmt::format("{}: write failed", path_));
}

struct TraceReader::ZstdContext {
    ZSTD_DCtx* context = ZSTD_createDCtx();
    ~ZstdContext() { ZSTD_freeDCtx(context); }
};

Result<TraceReader> TraceReader::open(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) return make_error(ErrorCode::not_found, fmt::format("{}: cannot open", path));
    TraceReader reader(file, path);
    auto filled = reader.fill(sizeof kMagic);
    if (!filled && filled.error().code == ErrorCode::corruption) {
        return make_error(ErrorCode::parse_error, fmt::format("{}: not a faultline trace (not zstd)", path));
    }
    if (!filled) return filled.error();
    if (!*filled || std::memcmp(reader.data_.data(), kMagic, sizeof kMagic - 1) != 0) {
        return make_error(ErrorCode::parse_error, fmt::format("{}: not a faultline trace", path));
    }
    if (reader.data_[sizeof kMagic - 1] != kMagic[sizeof kMagic - 1]) {
        return make_error(ErrorCode::unsupported,
                          fmt::format("{}: trace format version {}, this faultline reads version {}", path,
                                      static_cast<int>(reader.data_[sizeof kMagic - 1]),
                                      static_cast<int>(kMagic[sizeof kMagic - 1])));
    }
    reader.data_pos_ = sizeof kMagic;
    return reader;
}

TraceReader::TraceReader(std::FILE* file, std::string path)
    : file_(file),
      path_(std::move(path)),
      zstd_(std::make_unique<ZstdContext>()),
      input_(ZSTD_DStreamInSize()),
      context_(std::make_unique<TraceContext>()),
      hasher_(std::make_unique<TraceHasher>()) {
    FL_ASSERT(zstd_->context != nullptr);
}

TraceReader::TraceReader(TraceReader&& other) noexcept {
    *this = std::move(other);
}

TraceReader& TraceReader::operator=(TraceReader&& other) noexcept {
    if (this == &other) return *this;
    if (file_ != nullptr) std::fclose(file_);
    file_ = std::exchange(other.file_, nullptr);
    path_ = std::move(other.path_);
    zstd_ = std::move(other.zstd_);
    input_ = std::move(other.input_);
    input_pos_ = other.input_pos_;
    input_size_ = other.input_size_;
    data_ = std::move(other.data_);
    data_pos_ = other.data_pos_;
    file_ended_ = other.file_ended_;
    complete_ = other.complete_;
    nodes_ = std::move(other.nodes_);
    types_ = std::move(other.types_);
    text_ = std::move(other.text_);
    context_ = std::move(other.context_);
    events_read_ = other.events_read_;
    hasher_ = std::move(other.hasher_);
    return *this;
}

TraceReader::~TraceReader() {
    if (file_ != nullptr) std::fclose(file_);
}

Error TraceReader::damaged(std::string_view what) const {
    return make_error(ErrorCode::corruption,
                      fmt::format("{}: damaged trace after {} events: {}", path_, events_read_, what));
}

Result<bool> TraceReader::fill(std::size_t bytes) {
    while (data_.size() - data_pos_ < bytes) {
        if (input_pos_ == input_size_) {
            if (file_ended_) return false;
            input_size_ = std::fread(input_.data(), 1, input_.size(), file_);
            input_pos_ = 0;
            if (input_size_ == 0) {
                if (std::ferror(file_)) return make_error(ErrorCode::io_error, fmt::format("{}: read failed", path_));
                file_ended_ = true;
                return false;
            }
        }
        ZSTD_inBuffer input{input_.data(), input_size_, input_pos_};
        const std::size_t before = data_.size();
        data_.resize(before + ZSTD_DStreamOutSize());
        ZSTD_outBuffer output{data_.data() + before, ZSTD_DStreamOutSize(), 0};
        const std::size_t result = ZSTD_decompressStream(zstd_->context, &output, &input);
        data_.resize(before + output.pos);
        input_pos_ = input.pos;
        if (ZSTD_isError(result)) return damaged(ZSTD_getErrorName(result));
    }
    return true;
}

std::string_view TraceReader::node_name(NodeId node) const {
    return node.value < nodes_.size() && !nodes_[node.value].empty() ? std::string_view(nodes_[node.value]) : "?";
}

Result<bool> TraceReader::next(TraceRecord& record) {
    if (complete_) return false;
    // Parsed bytes go once they are a good part of the buffer.
    if (data_pos_ > (1 << 20) && data_pos_ * 2 > data_.size()) {
        data_.erase(0, data_pos_);
        data_pos_ = 0;
    }
    while (true) {
        auto any = fill(1);
        if (!any) return any.error();
        if (!*any) return false;  // the file ends between records: a cut trace
        // A record is read at `pos`; data_pos_ moves past it only once it is whole,
        // so a file cut inside a record ends the trace before that record.
        std::size_t pos = data_pos_;
        bool cut = false;
        Status error;
        auto need = [&](std::size_t bytes) {
            if (cut || !error) return false;
            auto filled = fill(pos - data_pos_ + bytes);
            if (!filled) {
                error = filled.error();
                return false;
            }
            if (!*filled) cut = true;
            return *filled;
        };
        auto varint = [&]() -> std::uint64_t {
            std::uint64_t value = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (!need(1)) return 0;
                const auto byte = static_cast<std::uint8_t>(data_[pos++]);
                value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
                if ((byte & 0x80) == 0) return value;
            }
            error = damaged("a number longer than 64 bits");
            return 0;
        };
        auto bytes = [&](std::size_t size) -> std::string_view {
            if (size > (std::size_t{1} << 30)) {
                error = damaged("a name or text longer than 1 GiB");
                return {};
            }
            if (!need(size)) return {};
            const std::string_view view(data_.data() + pos, size);
            pos += size;
            return view;
        };
        const auto opcode = static_cast<std::uint8_t>(data_[pos++]);
        if (opcode == kNodeName || opcode == kTypeName) {
            const std::uint64_t index = varint();
            const std::string_view name = bytes(varint());
            if (!error) return error.error();
            if (cut) return false;
            if (opcode == kNodeName) {
                if (index > (1u << 24)) return damaged("a node number beyond 2^24");
                if (index >= nodes_.size()) nodes_.resize(index + 1);
                nodes_[index] = std::string(name);
            } else {
                if (index != types_.size()) return damaged("message types out of order");
                types_.emplace_back(name);
            }
            data_pos_ = pos;
            continue;
        }
        if (opcode == kEnd) {
            const std::uint64_t events = varint();
            const std::string_view hash_bytes = bytes(8);
            if (!error) return error.error();
            if (cut) return false;
            std::uint64_t hash = 0;
            for (int byte = 0; byte < 8; ++byte) {
                hash |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(hash_bytes[byte])) << (8 * byte);
            }
            data_pos_ = pos;
            if (events != events_read_ || hash != hasher_->digest()) {
                return damaged(fmt::format("it ends saying {} events with hash {:016x}, but holds {} with hash {:016x}",
                                           events, hash, events_read_, hasher_->digest()));
            }
            complete_ = true;
            return false;
        }
        if (opcode > kLastKind) return damaged(fmt::format("unknown record 0x{:02x}", opcode));

        TraceEvent event;
        event.kind = static_cast<TraceKind>(opcode);
        std::uint8_t flags = 0;
        if (need(1)) flags = static_cast<std::uint8_t>(data_[pos++]);
        event.time = context_->time + unzigzag(varint());
        event.node = NodeId(static_cast<std::uint32_t>(varint()));
        if (flags & kHasPeer) event.peer = NodeId(static_cast<std::uint32_t>(varint()));
        if (flags & kHasId) {
            if (is_message(event.kind)) {
                event.id = context_->message_id + static_cast<std::uint64_t>(unzigzag(varint()));
            } else if (is_timer(event.kind)) {
                event.id = varint();
                event.id |= varint() << 32;
            } else {
                event.id = varint();
            }
        }
        if (flags & kTagAsSent) {
            const auto& [id, digest] = context_->sent[event.id % TraceContext::kSent];
            if (id != event.id || !is_message(event.kind)) error = damaged("a delivery of a message never sent");
            event.tag = digest;
        }
        if (flags & kTagVarint) event.tag = varint();
        if (flags & kTagFixed) {
            const std::string_view tag = bytes(8);
            for (std::size_t byte = 0; byte < tag.size(); ++byte) {
                event.tag |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(tag[byte])) << (8 * byte);
            }
        }
        if ((flags & kHasReason) && need(1)) event.reason = static_cast<std::uint8_t>(data_[pos++]);
        std::uint64_t type = 0;
        if (flags & kHasType) type = varint();
        std::string_view text;
        if (flags & kHasText) text = bytes(varint());
        if (!error) return error.error();
        if (cut) return false;
        if ((flags & kHasType) && type >= types_.size()) return damaged("a message type that was never named");
        text_.assign(text);  // the buffer may move on the next read
        event.text = text_;
        data_pos_ = pos;
        context_->after(event);
        hasher_->add(event);
        ++events_read_;
        record.event = event;
        record.node = node_name(event.node);
        record.peer = is_message(event.kind) ? node_name(event.peer) : std::string_view();
        record.message_type = (flags & kHasType) ? std::string_view(types_[type]) : std::string_view();
        return true;
    }
}

}  // namespace faultline::sim
