// Little-endian coding of fixed-width integers, for bytes that go to a disk or
// into a message. Readers fail (return false) instead of asserting when the
// bytes run out: they may come from a disk that lies or a peer that tampers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace faultline {

inline void put_u8(std::string& out, std::uint8_t v) {
    out.push_back(static_cast<char>(v));
}

// Appends the `Bytes` low bytes of `v`, least significant first, in one append
// (a push_back per byte checks the capacity eight times; these run per log
// entry and per message).
template <std::size_t Bytes, class T>
void put_le(std::string& out, T v) {
    static_assert(Bytes <= sizeof(T));
    char bytes[Bytes];
    for (std::size_t i = 0; i < Bytes; ++i) bytes[i] = static_cast<char>(static_cast<std::uint64_t>(v) >> (8 * i));
    out.append(bytes, Bytes);
}

inline void put_u32(std::string& out, std::uint32_t v) {
    put_le<4>(out, v);
}

inline void put_u64(std::string& out, std::uint64_t v) {
    put_le<8>(out, v);
}

// Reads a little-endian integer of `Bytes` bytes from the front of `in` and
// consumes it; false (and `in` untouched) if `in` is too short.
// Always inlined: out of line, a call per field costs more than the read.
template <std::size_t Bytes, class T>
[[gnu::always_inline]] inline bool take_le(std::string_view& in, T& v) {
    static_assert(Bytes <= sizeof(T));
    if (in.size() < Bytes) return false;
    v = 0;
    for (std::size_t i = Bytes; i-- > 0;) v = static_cast<T>(v << 8 | static_cast<unsigned char>(in[i]));
    in.remove_prefix(Bytes);
    return true;
}

inline bool take_u8(std::string_view& in, std::uint8_t& v) {
    return take_le<1>(in, v);
}
inline bool take_u32(std::string_view& in, std::uint32_t& v) {
    return take_le<4>(in, v);
}
inline bool take_u64(std::string_view& in, std::uint64_t& v) {
    return take_le<8>(in, v);
}

// A cursor over a byte range, for records with several fields.
class ByteReader {
  public:
    explicit ByteReader(std::string_view data) : rest_(data) {}
    bool u8(std::uint8_t& v) { return take_u8(rest_, v); }
    bool u32(std::uint32_t& v) { return take_u32(rest_, v); }
    bool u64(std::uint64_t& v) { return take_u64(rest_, v); }
    // Everything not read yet; the reader is then at its end.
    std::string_view rest() {
        std::string_view tail = rest_;
        rest_ = {};
        return tail;
    }
    bool at_end() const { return rest_.empty(); }

  private:
    std::string_view rest_;
};

}  // namespace faultline
