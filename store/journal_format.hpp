// The on-disk layout shared by journal.cpp and its frame reader: file headers and record
// frames (little-endian), with the checks that decide whether a frame is intact.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "store/crc32c.hpp"

namespace authd::store::journal_format {

constexpr uint32_t format_version = 1;
constexpr char journal_magic[8] = {'A', 'U', 'T', 'H', 'D', 'J', 'N', 'L'};
constexpr char snapshot_magic[8] = {'A', 'U', 'T', 'H', 'D', 'S', 'N', 'P'};
constexpr size_t journal_header_bytes = 32;
constexpr size_t snapshot_header_bytes = 48;
constexpr size_t frame_header_bytes = 8;

inline void put_u32(char* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
inline void put_u64(char* p, uint64_t v) {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
inline uint32_t get_u32(const char* p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}
inline uint64_t get_u64(const char* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}

// The frame checksum covers the length too, so a corrupt length cannot pass.
inline uint32_t frame_crc(const char* len_bytes, std::string_view payload) {
    return crc32c(crc32c(0, len_bytes, 4), payload.data(), payload.size());
}

inline void append_frame(std::string& out, std::string_view payload) {
    char head[frame_header_bytes];
    put_u32(head, static_cast<uint32_t>(payload.size()));
    put_u32(head + 4, frame_crc(head, payload));
    out.append(head, sizeof head);
    out.append(payload);
}

struct JournalHeader {
    uint64_t generation = 0;
};

inline std::string encode_journal_header(uint64_t generation) {
    std::string h(journal_header_bytes, '\0');
    std::memcpy(h.data(), journal_magic, 8);
    put_u32(h.data() + 8, format_version);
    put_u64(h.data() + 16, generation);
    put_u32(h.data() + 24, crc32c(0, h.data(), 24));
    return h;
}

// False when the bytes are not an intact journal header of this format.
inline bool decode_journal_header(const char* p, JournalHeader& out) {
    if (std::memcmp(p, journal_magic, 8) != 0) return false;
    if (get_u32(p + 8) != format_version) return false;
    if (get_u32(p + 24) != crc32c(0, p, 24)) return false;
    out.generation = get_u64(p + 16);
    return true;
}

struct SnapshotHeader {
    uint64_t generation = 0;
    uint64_t record_count = 0;
    uint64_t body_bytes = 0;
};

inline std::string encode_snapshot_header(const SnapshotHeader& s) {
    std::string h(snapshot_header_bytes, '\0');
    std::memcpy(h.data(), snapshot_magic, 8);
    put_u32(h.data() + 8, format_version);
    put_u64(h.data() + 16, s.generation);
    put_u64(h.data() + 24, s.record_count);
    put_u64(h.data() + 32, s.body_bytes);
    put_u32(h.data() + 40, crc32c(0, h.data(), 40));
    return h;
}

inline bool decode_snapshot_header(const char* p, SnapshotHeader& out) {
    if (std::memcmp(p, snapshot_magic, 8) != 0) return false;
    if (get_u32(p + 8) != format_version) return false;
    if (get_u32(p + 40) != crc32c(0, p, 40)) return false;
    out.generation = get_u64(p + 16);
    out.record_count = get_u64(p + 24);
    out.body_bytes = get_u64(p + 32);
    return true;
}

}  // namespace authd::store::journal_format
