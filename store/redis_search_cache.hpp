// RedisSearchCache: this instance's copy of the store's search blobs (redis_scripts.hpp), so
// that a searched user list is scanned here, in C++, instead of inside Redis: each search
// first asks Redis which blobs changed (text_sync, microseconds of Redis time) and fetches
// only those. Shared by every loop of the store; the scan runs on a snapshot, outside the lock.
#pragma once
#include <hiredis/hiredis.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/types.hpp"

namespace authd::store {

// A decoded text_sync reply: every blob's version, with its text where it changed.
struct RedisTextSync {
    struct Entry {
        int64_t number = 0;
        std::string version;
        bool changed = false;  // text is the new text (empty + !present: the blob is gone)
        bool present = false;
        std::string text;
    };
    bool ok = false;
    std::vector<Entry> entries;
};
RedisTextSync decode_text_sync(const redisReply* reply);

class RedisSearchCache {
  public:
    struct Hits {
        size_t total = 0;
        std::vector<int64_t> ids;  // the page, in id order
    };

    // "blob:version;..." of what is held, for text_sync.
    std::string known_versions() const;
    // Takes in what text_sync returned (blobs not listed any more are dropped).
    void apply(RedisTextSync&& sync);
    // Records whose folded text contains `needle` (no control characters), filtered, counted,
    // and the ids of [offset, offset + limit).
    Hits search(std::string_view needle, std::optional<Role> role, std::optional<bool> active,
                size_t offset, size_t limit) const;
    // Bytes of text held (about 60 per user, the fields folded): for the metrics and benches.
    size_t bytes() const {
        std::lock_guard lock(mutex_);
        return held_;
    }

  private:
    struct Blob {
        int64_t number = 0;
        std::string version;
        std::shared_ptr<const std::string> text;
    };
    void apply_sorted(RedisTextSync&& sync);

    mutable std::mutex mutex_;
    std::vector<Blob> blobs_;  // by number, i.e. by id
    size_t held_ = 0;
};

}  // namespace authd::store
