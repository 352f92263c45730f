// UserTable: the embedded store's users — ordered by id in flat arrays, with case-folded
// username and email indexes and a contiguous arena of folded search text so that a
// filtered, searched page over 100,000 users is one linear scan of a few megabytes.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/types.hpp"

namespace authd::store {

class UserTable {
  public:
    size_t size() const { return live_; }
    const User* find(int64_t id) const;
    const User* find_by_username(const std::string& folded) const;  // key: fold_case(name)
    const User* find_by_email(const std::string& folded) const;

    // Inserts the user, or replaces the one with the same id; indexes follow.
    void put(User user);
    bool erase(int64_t id);

    // Filters, case-insensitive substring search, then offset/limit, all in id order.
    UserPage list(const UserQuery& query) const;

    // Every user, in id order.
    template <class F>
    void for_each(F&& fn) const {
        for (size_t i = 0; i < meta_.size(); ++i) {
            if (meta_[i].alive) fn(users_[i]);
        }
    }

  private:
    static constexpr size_t npos = static_cast<size_t>(-1);
    struct Meta {
        int64_t id;
        uint32_t text_off;  // folded "username\0email\0first\0last" in arena_
        uint32_t text_len;
        Role role;
        bool active;
        bool alive;  // false: a deleted user's slot, reclaimed by compact_slots()
    };

    size_t index_of(int64_t id) const;
    void index_keys(const User& u);
    void unindex_keys(const User& u);
    void set_text(size_t i);
    void compact_slots();
    void compact_arena();

    std::vector<User> users_;  // sorted by id, parallel to meta_
    std::vector<Meta> meta_;
    std::string arena_;
    size_t arena_garbage_ = 0;  // bytes of arena_ no slot points at any more
    size_t live_ = 0;
    std::unordered_map<std::string, int64_t> by_username_;
    std::unordered_map<std::string, int64_t> by_email_;
};

}  // namespace authd::store
