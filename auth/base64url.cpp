// auth/base64url.cpp — table-driven unpadded base64url; decode checks every character and the
// trailing bits.
#include "auth/base64url.hpp"

#include <array>
#include <cstdint>

namespace authd::auth {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// 0..63 for alphabet characters, 0xFF for everything else (so OR-ing values exposes any bad one via
// bit 7).
constexpr std::array<uint8_t, 256> make_decode_table() {
    std::array<uint8_t, 256> table{};
    for (auto& entry : table) entry = 0xFF;
    for (uint8_t i = 0; i < 64; ++i) table[static_cast<uint8_t>(kAlphabet[i])] = i;
    return table;
}
constexpr std::array<uint8_t, 256> kDecode = make_decode_table();

// The sextet of each character already shifted to its place in a quad's 24 bits (first character
// highest), so a quad is four loads and three ORs; bit 31 marks a character outside the alphabet.
constexpr std::array<uint32_t, 256> make_shifted_table(int shift) {
    std::array<uint32_t, 256> table{};
    for (std::size_t c = 0; c < 256; ++c) {
        table[c] = kDecode[c] == 0xFF ? 0x80000000u : uint32_t{kDecode[c]} << shift;
    }
    return table;
}
constexpr std::array<uint32_t, 256> kShift18 = make_shifted_table(18);
constexpr std::array<uint32_t, 256> kShift12 = make_shifted_table(12);
constexpr std::array<uint32_t, 256> kShift6 = make_shifted_table(6);
constexpr std::array<uint32_t, 256> kShift0 = make_shifted_table(0);

inline uint32_t sextet(char c) {
    return kDecode[static_cast<uint8_t>(c)];
}
inline uint8_t byte_of(char c) {
    return static_cast<uint8_t>(c);
}

}  // namespace

std::size_t base64url_encode(const void* data, std::size_t size, char* out) {
    const auto* in = static_cast<const uint8_t*>(data);
    char* const start = out;
    std::size_t i = 0;
    for (; i + 3 <= size; i += 3) {
        const uint32_t v = uint32_t{in[i]} << 16 | uint32_t{in[i + 1]} << 8 | in[i + 2];
        *out++ = kAlphabet[v >> 18];
        *out++ = kAlphabet[(v >> 12) & 63];
        *out++ = kAlphabet[(v >> 6) & 63];
        *out++ = kAlphabet[v & 63];
    }
    if (size - i == 1) {
        const uint32_t v = uint32_t{in[i]} << 16;
        *out++ = kAlphabet[v >> 18];
        *out++ = kAlphabet[(v >> 12) & 63];
    } else if (size - i == 2) {
        const uint32_t v = uint32_t{in[i]} << 16 | uint32_t{in[i + 1]} << 8;
        *out++ = kAlphabet[v >> 18];
        *out++ = kAlphabet[(v >> 12) & 63];
        *out++ = kAlphabet[(v >> 6) & 63];
    }
    return static_cast<std::size_t>(out - start);
}

std::optional<std::size_t> base64url_decode(std::string_view text, void* out,
                                            std::size_t capacity) {
    const std::size_t tail = text.size() % 4;
    if (tail == 1) return std::nullopt;
    const std::size_t decoded = base64url_decoded_size(text.size());
    if (decoded > capacity) return std::nullopt;

    auto* dst = static_cast<uint8_t*>(out);
    const char* src = text.data();
    const char* const quads_end = src + (text.size() - tail);
    uint32_t bad = 0;  // accumulates every quad so the loop has no per-character branch
    for (; src != quads_end; src += 4, dst += 3) {
        const uint32_t v = kShift18[byte_of(src[0])] | kShift12[byte_of(src[1])] |
                           kShift6[byte_of(src[2])] | kShift0[byte_of(src[3])];
        bad |= v;
        dst[0] = static_cast<uint8_t>(v >> 16);
        dst[1] = static_cast<uint8_t>(v >> 8);
        dst[2] = static_cast<uint8_t>(v);
    }
    bad &= 0x80000000u;
    if (tail == 2) {
        const uint32_t a = sextet(src[0]), b = sextet(src[1]);
        bad |= (a | b) & 0x80;
        if ((b & 0x0F) != 0)
            return std::nullopt;  // bits past the last byte must be zero (canonical form)
        dst[0] = static_cast<uint8_t>((a << 2) | (b >> 4));
    } else if (tail == 3) {
        const uint32_t a = sextet(src[0]), b = sextet(src[1]), c = sextet(src[2]);
        bad |= (a | b | c) & 0x80;
        if ((c & 0x03) != 0) return std::nullopt;
        const uint32_t v = a << 18 | b << 12 | c << 6;
        dst[0] = static_cast<uint8_t>(v >> 16);
        dst[1] = static_cast<uint8_t>(v >> 8);
    }
    if (bad != 0) return std::nullopt;
    return decoded;
}

std::string base64url_encode(std::string_view bytes) {
    std::string out(base64url_encoded_size(bytes.size()), '\0');
    base64url_encode(bytes.data(), bytes.size(), out.data());
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    std::string out(base64url_decoded_size(text.size()), '\0');
    const auto written = base64url_decode(text, out.data(), out.size());
    if (!written) return std::nullopt;
    out.resize(*written);
    return out;
}

}  // namespace authd::auth
