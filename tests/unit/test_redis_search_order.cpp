// RedisSearchCache: a blob's records are in write order (ids from per-instance blocks arrive
// out of order), and a search still pages through its hits in id order.
#include <gtest/gtest.h>

#include <string>

#include "store/redis_search_cache.hpp"

namespace authd::store {
namespace {

// One record as the scripts write it (redis_scripts.hpp): "\n" text "\t" id role active.
std::string record(int64_t id, const std::string& text, int role = 0, bool active = true) {
    std::string digits = std::to_string(id);
    digits.insert(0, 10 - digits.size(), '0');
    std::string r = "\n" + text + "\t";
    for (char d : digits) r += static_cast<char>(d - '0' + 0x10);
    r += static_cast<char>(0x1A + role);
    r += static_cast<char>(0x1E + (active ? 1 : 0));
    return r;
}

RedisTextSync blob(int64_t number, std::string text) {
    RedisTextSync sync;
    sync.ok = true;
    RedisTextSync::Entry e;
    e.number = number;
    e.version = "1";
    e.changed = e.present = true;
    e.text = std::move(text);
    sync.entries.push_back(std::move(e));
    return sync;
}

TEST(RedisSearchOrder, HitsOfABlobWrittenOutOfOrderComeInIdOrder) {
    RedisSearchCache cache;
    std::string text = record(7, std::string("ann") + '\0' + "a7@x") +
                       record(3, std::string("anna") + '\0' + "a3@x") +
                       record(9, std::string("bob") + '\0' + "b9@x") +
                       record(5, std::string("hannah") + '\0' + "h5@x", 1) +
                       record(4, std::string("annie") + '\0' + "a4@x");
    cache.apply(blob(0, text));
    EXPECT_GT(cache.bytes(), text.size() - 1);
    auto all = cache.search("ann", std::nullopt, std::nullopt, 0, 10);
    EXPECT_EQ(all.total, 4u);
    EXPECT_EQ(all.ids, (std::vector<int64_t>{3, 4, 5, 7}));
    auto page = cache.search("ann", std::nullopt, std::nullopt, 1, 2);
    EXPECT_EQ(page.total, 4u);
    EXPECT_EQ(page.ids, (std::vector<int64_t>{4, 5}));
    auto agents = cache.search("ann", Role::agent, std::nullopt, 0, 10);
    EXPECT_EQ(agents.ids, (std::vector<int64_t>{5}));
}

}  // namespace
}  // namespace authd::store
