// RedisSearchCache: text_sync decoding, applying the changed blobs, and the record scan.
#include "store/redis_search_cache.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <malloc.h>

#include <algorithm>
#include <cstring>

#include "store/redis_codec.hpp"

namespace authd::store {
namespace {

// A record's trailer after its '\t': the id as 10 bytes 0x10 + digit, role 0x1A + role,
// active 0x1E + flag (control characters, so no needle can match inside a trailer).
constexpr size_t trailer_size = 12;

// Zero bytes kept after each blob's text, so a 16-byte load that starts inside it stays in
// bounds (see find_in).
constexpr size_t blob_padding = 16;

constexpr size_t trim_after_bytes = 1 << 20;

// First position of `needle` in hay[from, len), or npos. With SSE2, 16 start positions per
// step: a candidate needs the needle's first and last byte in place before the middle is
// compared (Muła's SIMD-friendly search, as store/user_table.cpp): no set-up cost per call,
// which matters when a search matches nearly every record. Reads up to 15 bytes past len;
// the blobs carry blob_padding bytes for it.
size_t find_in(const char* hay, size_t len, size_t from, std::string_view needle) {
    const size_t n = needle.size();
    if (n == 0 || from + n > len) return std::string_view::npos;
#if defined(__SSE2__)
    if (n >= 2) {
        const __m128i first = _mm_set1_epi8(needle[0]);
        const __m128i last = _mm_set1_epi8(needle[n - 1]);
        const size_t positions = len - from - n + 1;
        for (size_t i = 0; i < positions; i += 16) {
            const char* p = hay + from + i;
            __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
            __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 1));
            auto mask = static_cast<unsigned>(_mm_movemask_epi8(
                _mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last))));
            if (positions - i < 16) mask &= (1u << (positions - i)) - 1;
            while (mask != 0) {
                unsigned bit = static_cast<unsigned>(__builtin_ctz(mask));
                if (std::memcmp(p + bit + 1, needle.data() + 1, n - 2) == 0) return from + i + bit;
                mask &= mask - 1;
            }
        }
        return std::string_view::npos;
    }
#endif
    return std::string_view(hay, len).find(needle, from);
}

int64_t decode_id(std::string_view blob, size_t at) {
    int64_t id = 0;
    for (size_t i = 0; i < 10; ++i)
        id = id * 10 + (static_cast<unsigned char>(blob[at + i]) - 0x10);
    return id;
}

}  // namespace

RedisTextSync decode_text_sync(const redisReply* r) {
    RedisTextSync out;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements % 3 != 0) return out;
    out.entries.reserve(r->elements / 3);
    for (size_t i = 0; i + 2 < r->elements; i += 3) {
        RedisTextSync::Entry e;
        e.number = reply_int_or(r->element[i], -1);
        e.version = std::string(reply_view(r->element[i + 1]));
        const redisReply* text = r->element[i + 2];
        e.changed = text->type != REDIS_REPLY_NIL;
        if (e.changed && text->type == REDIS_REPLY_STRING) {
            e.present = true;
            // Exactly the room apply() needs: appending the padding to a string sized to
            // the text would double its capacity (and the cache's memory).
            e.text.reserve(text->len + blob_padding);
            e.text.assign(text->str, text->len);
        }
        if (e.number < 0) return RedisTextSync{};
        out.entries.push_back(std::move(e));
    }
    out.ok = true;
    return out;
}

std::string RedisSearchCache::known_versions() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const Blob& b : blobs_) out += std::to_string(b.number) + ':' + b.version + ';';
    return out;
}

void RedisSearchCache::apply(RedisTextSync&& sync) {
    size_t bytes = 0;
    for (const RedisTextSync::Entry& e : sync.entries) bytes += e.text.size();
    apply_sorted(std::move(sync));
    // A large sync (the first one fetches every blob) leaves the reply's buffers free in
    // the heap; give them back, or they stay in the RSS of every instance.
    if (bytes >= trim_after_bytes) malloc_trim(0);
}

void RedisSearchCache::apply_sorted(RedisTextSync&& sync) {
    size_t bytes = 0;
    std::sort(sync.entries.begin(), sync.entries.end(),
              [](const auto& a, const auto& b) { return a.number < b.number; });
    std::lock_guard lock(mutex_);
    std::vector<Blob> next;
    next.reserve(sync.entries.size());
    auto old = blobs_.begin();
    for (RedisTextSync::Entry& e : sync.entries) {
        while (old != blobs_.end() && old->number < e.number) ++old;
        if (e.changed) {
            // A changed blob that holds an empty string or was deleted drops out.
            if (e.present && !e.text.empty()) {
                e.text.append(blob_padding, '\0');
                next.push_back({e.number, std::move(e.version),
                                std::make_shared<const std::string>(std::move(e.text))});
            }
        } else if (old != blobs_.end() && old->number == e.number) {
            // Unchanged for the version we sent; another loop may have moved it on meanwhile,
            // in which case ours stays (the next sync compares again).
            next.push_back(*old);
        }
    }
    blobs_ = std::move(next);
    bytes = 0;
    for (const Blob& b : blobs_) bytes += b.text->size();
    held_ = bytes;
}

RedisSearchCache::Hits RedisSearchCache::search(std::string_view needle, std::optional<Role> role,
                                                std::optional<bool> active, size_t offset,
                                                size_t limit) const {
    std::vector<std::shared_ptr<const std::string>> texts;
    {
        std::lock_guard lock(mutex_);
        texts.reserve(blobs_.size());
        for (const Blob& b : blobs_) texts.push_back(b.text);
    }
    Hits hits;
    if (needle.empty()) return hits;
    std::vector<int64_t> blob_hits;  // one blob's, sorted: a blob is in write order
    for (const auto& text : texts) {
        std::string_view blob(text->data(), text->size() - blob_padding);
        blob_hits.clear();
        size_t pos = 0;
        for (;;) {
            size_t at = find_in(blob.data(), blob.size(), pos, needle);
            if (at == std::string_view::npos) break;
            size_t tab = blob.find('\t', at);
            if (tab == std::string_view::npos || tab + trailer_size >= blob.size())
                break;  // malformed
            int record_role = static_cast<unsigned char>(blob[tab + 11]) - 0x1A;
            bool record_active = static_cast<unsigned char>(blob[tab + 12]) == 0x1F;
            if ((!role || record_role == static_cast<int>(*role)) &&
                (!active || record_active == *active))
                blob_hits.push_back(decode_id(blob, tab + 1));
            pos = tab + 1 + trailer_size;  // the next record's '\n'
        }
        if (!std::is_sorted(blob_hits.begin(), blob_hits.end()))
            std::sort(blob_hits.begin(), blob_hits.end());
        for (int64_t id : blob_hits) {
            if (hits.total >= offset && hits.ids.size() < limit) hits.ids.push_back(id);
            ++hits.total;
        }
    }
    return hits;
}

}  // namespace authd::store
