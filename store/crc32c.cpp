// CRC-32C: hardware (SSE4.2 crc32 instruction) with a portable slice-by-8 fallback.
#include "store/crc32c.hpp"

#include <array>
#include <cstring>

namespace authd::store {
namespace {

constexpr uint32_t poly = 0x82f63b78;  // reflected Castagnoli polynomial

using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables make_tables() {
    Tables t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
        t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
        for (size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    }
    return t;
}

constexpr Tables tables = make_tables();

uint32_t crc_software(uint32_t crc, const unsigned char* p, size_t n) {
    while (n >= 8) {
        uint64_t v;
        std::memcpy(&v, p, 8);  // little-endian host assumed (x86-64, arm64)
        v ^= crc;
        crc = tables[7][v & 0xff] ^ tables[6][(v >> 8) & 0xff] ^ tables[5][(v >> 16) & 0xff] ^
              tables[4][(v >> 24) & 0xff] ^ tables[3][(v >> 32) & 0xff] ^
              tables[2][(v >> 40) & 0xff] ^ tables[1][(v >> 48) & 0xff] ^ tables[0][v >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) crc = (crc >> 8) ^ tables[0][(crc ^ *p++) & 0xff];
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crc_hardware(uint32_t crc, const unsigned char* p,
                                                        size_t n) {
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t v;
        std::memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = static_cast<uint32_t>(c);
    while (n--) c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}

bool have_hardware() {
    static const bool yes = __builtin_cpu_supports("sse4.2");
    return yes;
}
#endif

}  // namespace

uint32_t crc32c(uint32_t crc, const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    crc = ~crc;
#if defined(__x86_64__)
    crc = have_hardware() ? crc_hardware(crc, p, n) : crc_software(crc, p, n);
#else
    crc = crc_software(crc, p, n);
#endif
    return ~crc;
}

uint32_t crc32c_portable(uint32_t crc, const void* data, size_t n) {
    return ~crc_software(~crc, static_cast<const unsigned char*>(data), n);
}

}  // namespace authd::store
