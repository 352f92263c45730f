// UserTable: sorted flat storage, folded-key indexes and the search-text arena.
#include "store/user_table.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "store/case_fold.hpp"

namespace authd::store {
namespace {

constexpr size_t min_dead_to_compact = 1024;
constexpr size_t min_garbage_to_compact = 1u << 20;
// Zero bytes kept after the last text so a 16-byte load that starts inside it stays inside
// the arena.
constexpr size_t arena_padding = 16;

// Whether hay[0, len) contains the (non-empty) needle. With SSE2, 16 positions at a time: a
// candidate needs both the needle's first and last byte in place, then a memcmp of the
// middle (Muła's "SIMD-friendly" substring search). Loads may read up to 16 bytes past
// the text; the arena's padding keeps them in bounds.
bool contains(const char* hay, size_t len, std::string_view needle) {
    size_t n = needle.size();
    if (n > len) return false;
    if (n == 1) return std::memchr(hay, needle[0], len) != nullptr;
#if defined(__SSE2__)
    const __m128i first = _mm_set1_epi8(needle[0]);
    const __m128i last = _mm_set1_epi8(needle[n - 1]);
    const size_t positions = len - n + 1;
    for (size_t i = 0; i < positions; i += 16) {
        __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(hay + i));
        __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(hay + i + n - 1));
        auto mask = static_cast<unsigned>(
            _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last))));
        if (positions - i < 16) mask &= (1u << (positions - i)) - 1;
        while (mask != 0) {
            unsigned bit = static_cast<unsigned>(__builtin_ctz(mask));
            if (std::memcmp(hay + i + bit + 1, needle.data() + 1, n - 2) == 0) return true;
            mask &= mask - 1;
        }
    }
    return false;
#else
    return std::string_view(hay, len).find(needle) != std::string_view::npos;
#endif
}

}  // namespace

size_t UserTable::index_of(int64_t id) const {
    auto it = std::lower_bound(meta_.begin(), meta_.end(), id,
                               [](const Meta& m, int64_t v) { return m.id < v; });
    if (it == meta_.end() || it->id != id) return npos;
    return static_cast<size_t>(it - meta_.begin());
}

const User* UserTable::find(int64_t id) const {
    size_t i = index_of(id);
    return i != npos && meta_[i].alive ? &users_[i] : nullptr;
}

const User* UserTable::find_by_username(const std::string& folded) const {
    auto it = by_username_.find(folded);
    return it == by_username_.end() ? nullptr : find(it->second);
}

const User* UserTable::find_by_email(const std::string& folded) const {
    auto it = by_email_.find(folded);
    return it == by_email_.end() ? nullptr : find(it->second);
}

void UserTable::index_keys(const User& u) {
    by_username_[fold_case(u.username)] = u.id;
    by_email_[fold_case(u.email)] = u.id;
}

void UserTable::unindex_keys(const User& u) {
    // Only drop keys that still point at this user (another may own them by now).
    auto drop = [&](std::unordered_map<std::string, int64_t>& index, const std::string& key) {
        auto it = index.find(fold_case(key));
        if (it != index.end() && it->second == u.id) index.erase(it);
    };
    drop(by_username_, u.username);
    drop(by_email_, u.email);
}

void UserTable::set_text(size_t i) {
    const User& u = users_[i];
    Meta& m = meta_[i];
    if (m.text_len > 0) arena_garbage_ += m.text_len;
    arena_.resize(arena_.size() - std::min(arena_.size(), arena_padding));
    size_t off = arena_.size();
    append_folded(arena_, u.username);
    arena_ += '\0';
    append_folded(arena_, u.email);
    arena_ += '\0';
    append_folded(arena_, u.first_name);
    arena_ += '\0';
    append_folded(arena_, u.last_name);
    m.text_off = static_cast<uint32_t>(off);
    m.text_len = static_cast<uint32_t>(arena_.size() - off);
    arena_.append(arena_padding, '\0');
    if (arena_garbage_ > min_garbage_to_compact && arena_garbage_ > arena_.size() / 2) {
        compact_arena();
    }
}

void UserTable::put(User user) {
    size_t i = index_of(user.id);
    if (i == npos) {
        // Ids are assigned in increasing order, so this is nearly always an append.
        auto it = std::lower_bound(meta_.begin(), meta_.end(), user.id,
                                   [](const Meta& m, int64_t v) { return m.id < v; });
        i = static_cast<size_t>(it - meta_.begin());
        meta_.insert(it, Meta{user.id, 0, 0, user.role, user.is_active, false});
        users_.insert(users_.begin() + static_cast<ptrdiff_t>(i), User{});
    }
    bool keys_changed = true;
    bool text_changed = true;
    if (meta_[i].alive) {
        // Most updates (last_login, flags, password) touch neither keys nor search text.
        const User& old = users_[i];
        keys_changed = old.username != user.username || old.email != user.email;
        text_changed =
            keys_changed || old.first_name != user.first_name || old.last_name != user.last_name;
        if (keys_changed) unindex_keys(old);
    } else {
        meta_[i].alive = true;
        ++live_;
    }
    users_[i] = std::move(user);
    if (keys_changed) index_keys(users_[i]);
    if (text_changed) set_text(i);
    meta_[i].role = users_[i].role;
    meta_[i].active = users_[i].is_active;
}

bool UserTable::erase(int64_t id) {
    size_t i = index_of(id);
    if (i == npos || !meta_[i].alive) return false;
    unindex_keys(users_[i]);
    users_[i] = User{};
    Meta& m = meta_[i];
    m.alive = false;
    arena_garbage_ += m.text_len;
    m.text_len = 0;
    --live_;
    size_t dead = meta_.size() - live_;
    if (dead >= min_dead_to_compact && dead > live_) compact_slots();
    return true;
}

void UserTable::compact_slots() {
    size_t out = 0;
    for (size_t i = 0; i < meta_.size(); ++i) {
        if (!meta_[i].alive) continue;
        if (out != i) {
            users_[out] = std::move(users_[i]);
            meta_[out] = meta_[i];
        }
        ++out;
    }
    users_.resize(out);
    meta_.resize(out);
    compact_arena();
}

void UserTable::compact_arena() {
    std::string fresh;
    fresh.reserve(arena_.size() - arena_garbage_ + arena_padding);
    for (Meta& m : meta_) {
        if (!m.alive) continue;
        size_t off = fresh.size();
        fresh.append(arena_, m.text_off, m.text_len);
        m.text_off = static_cast<uint32_t>(off);
    }
    fresh.append(arena_padding, '\0');
    arena_.swap(fresh);
    arena_garbage_ = 0;
}

UserPage UserTable::list(const UserQuery& q) const {
    UserPage page;
    std::string needle = fold_case(q.search);
    // The arena separates fields with NUL, so a needle holding one could only match
    // across fields: no user matches it.
    if (needle.find('\0') != std::string::npos) return page;
    for (size_t i = 0; i < meta_.size(); ++i) {
        const Meta& m = meta_[i];
        if (!m.alive) continue;
        if (q.role && m.role != *q.role) continue;
        if (q.is_active && m.active != *q.is_active) continue;
        if (!needle.empty() && !contains(arena_.data() + m.text_off, m.text_len, needle)) continue;
        if (page.total >= q.offset && page.items.size() < q.limit) page.items.push_back(users_[i]);
        ++page.total;
    }
    return page;
}

}  // namespace authd::store
