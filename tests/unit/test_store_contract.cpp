// The store contract: one suite of behavioural tests of the Store interface, run from real
// core::Loops against each backend (the embedded journal store and the Redis store on a
// private redis-server). This file: users (create, uniqueness, update, delete, list, search) and
// the suite's instantiation; sessions, throttling, outbox, persistence: test_store_contract_*.cpp.
// What only one backend has lives in that backend's own test file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "tests/unit/store_contract_fixture.hpp"

namespace authd::store::contract {
namespace {

// ---- users --------------------------------------------------------------------------------

TEST_P(StoreContract, CreateAndFindCaseInsensitively) {
    on_loop([&](Loop&) -> Task<void> {
        User u = make_user("Alice", "Alice@Example.com");
        u.role = Role::agent;
        auto r = co_await store_->create_user(u, no_mail());
        EXPECT_TRUE(r->user);
        if (!r->user) co_return;
        EXPECT_EQ(r->user->id, 1);
        EXPECT_EQ(r->user->username, "Alice");
        EXPECT_EQ(r->user->created_at_us, t0_us);
        EXPECT_EQ(r->user->updated_at_us, t0_us);
        auto by_id = co_await store_->find_user(1);
        EXPECT_TRUE(by_id && by_id->email == "Alice@Example.com" && by_id->role == Role::agent);
        EXPECT_TRUE(by_id && by_id->created_at_us == t0_us &&
                    by_id->password_hash == u.password_hash);
        auto by_name = co_await store_->find_user_by_username("aLiCe");
        EXPECT_TRUE(by_name && by_name->id == 1);
        auto by_email = co_await store_->find_user_by_email("ALICE@EXAMPLE.COM");
        EXPECT_TRUE(by_email && by_email->id == 1);
        EXPECT_FALSE(co_await store_->find_user(2));
        EXPECT_FALSE(co_await store_->find_user_by_username("alic"));
        EXPECT_FALSE(co_await store_->find_user_by_email("bob@example.com"));
        EXPECT_EQ(*co_await store_->count_users(), 1u);
    });
}

TEST_P(StoreContract, UsernameAndEmailUniqueCaseInsensitively) {
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_TRUE(
            (co_await store_->create_user(make_user("alice", "alice@x.org"), no_mail()))->user);
        auto name = co_await store_->create_user(make_user("ALICE", "other@x.org"), no_mail());
        EXPECT_FALSE(name->user);
        EXPECT_TRUE(name->username_taken);
        EXPECT_FALSE(name->email_taken);
        auto email = co_await store_->create_user(make_user("bob", "Alice@X.ORG"), no_mail());
        EXPECT_FALSE(email->user);
        EXPECT_FALSE(email->username_taken);
        EXPECT_TRUE(email->email_taken);
        auto both = co_await store_->create_user(make_user("Alice", "ALICE@x.org"), no_mail());
        EXPECT_TRUE(both->username_taken && both->email_taken && !both->user);
        auto unicode = co_await store_->create_user(make_user("Émile", "emile@x.org"), no_mail());
        EXPECT_TRUE(unicode->user);
        auto unicode2 = co_await store_->create_user(make_user("éMILE", "emile2@x.org"), no_mail());
        EXPECT_TRUE(unicode2->username_taken);
        EXPECT_EQ(*co_await store_->count_users(), 2u);
    });
}

TEST_P(StoreContract, CreateQueuesComposedMailAtomically) {
    on_loop([&](Loop&) -> Task<void> {
        MailComposer compose = [](const User& u) {
            OutboxMail m;
            m.to = u.email;
            m.subject = "Verify";
            m.text_body = "link for user " + std::to_string(u.id);
            return std::optional<OutboxMail>(m);
        };
        auto r = co_await store_->create_user(make_user("carol"), std::move(compose));
        EXPECT_TRUE(r->user && r->user->id == 1);
        auto due = co_await store_->due_mail(t0_us, 10);
        EXPECT_EQ(due->size(), 1u);
        if (due->empty()) co_return;
        EXPECT_EQ((*due)[0].id, 1);
        EXPECT_EQ((*due)[0].to, "carol@example.com");
        EXPECT_EQ((*due)[0].text_body, "link for user 1");
    });
    reopen();
    on_loop([&](Loop&) -> Task<void> {
        EXPECT_EQ((co_await store_->due_mail(t0_us, 10))->size(), 1u);
        // A taken username queues nothing. (The embedded store checks the names before it
        // composes; Redis composes first, since one script checks the names and writes.)
        int calls = 0;
        MailComposer compose = [&calls](const User&) {
            ++calls;
            return std::optional<OutboxMail>(OutboxMail{});
        };
        auto r =
            co_await store_->create_user(make_user("carol", "c2@example.com"), std::move(compose));
        EXPECT_TRUE(r->username_taken);
        EXPECT_LE(calls, 1);
        EXPECT_EQ((co_await store_->due_mail(t0_us, 10))->size(), 1u);
        // The next user with a mail gets the next id (no id was burnt on the clash). Redis
        // reserves ids a block per instance, so after the reopen its ids rise from a new
        // block: a gap, as a sequence with a cache leaves.
        auto d = co_await store_->create_user(make_user("dora"), mail_to_user());
        EXPECT_TRUE(d->user);
        if (!d->user) co_return;
        if (!redis_backend_) EXPECT_EQ(d->user->id, 2);
        EXPECT_GT(d->user->id, 1);
        // A composer that decides to send nothing: the user is created, nothing is queued.
        auto e = co_await store_->create_user(make_user("emma"), composes_nothing());
        EXPECT_TRUE(e->user && e->user->id == d->user->id + 1) << "no id burnt on a clash";
        EXPECT_EQ((co_await store_->due_mail(t0_us, 10))->size(), 2u);
    });
}

TEST_P(StoreContract, IdsIncreaseAndAreNeverReused) {
    on_loop([&](Loop&) -> Task<void> {
        for (const char* n : {"a", "b", "c"}) co_await store_->create_user(make_user(n), no_mail());
        EXPECT_TRUE(co_await store_->delete_user(3));
        EXPECT_FALSE(co_await store_->delete_user(3));
        auto d = co_await store_->create_user(make_user("d"), no_mail());
        EXPECT_TRUE(d->user && d->user->id == 4);
        EXPECT_TRUE(co_await store_->delete_user(4));
    });
    restart();  // the counter is durable (Redis: it survives a Redis restart, AOF)
    on_loop([&](Loop&) -> Task<void> {
        auto e = co_await store_->create_user(make_user("e"), no_mail());
        // Redis: a new instance reserves a new block of ids (the old one's rest stays unused).
        EXPECT_TRUE(e->user && (redis_backend_ ? e->user->id > 4 : e->user->id == 5));
        EXPECT_EQ(*co_await store_->count_users(), 3u);  // a, b, e
        if (e->user) EXPECT_TRUE(co_await store_->delete_user(e->user->id));
    });
}

TEST_P(StoreContract, UpdateUserAppliesPatch) {
    on_loop([&](Loop&) -> Task<void> {
        co_await store_->create_user(make_user("dave", "dave@x.org"), no_mail());
        co_await store_->create_user(make_user("erin", "erin@x.org"), no_mail());
        advance(10s);
        UserPatch p;
        p.email = "David@X.org";
        p.first_name = "David";
        p.role = Role::super_user;
        p.is_active = true;
        p.email_verified = true;
        p.password_hash = "new-hash";
        p.bump_token_version = true;
        auto u = co_await store_->update_user(1, p);
        EXPECT_TRUE(u);
        if (!u) co_return;
        EXPECT_EQ(u->email, "David@X.org");
        EXPECT_EQ(u->first_name, "David");
        EXPECT_EQ(u->last_name, "Last");  // untouched
        EXPECT_EQ(u->role, Role::super_user);
        EXPECT_TRUE(u->is_active && u->email_verified);
        EXPECT_EQ(u->password_hash, "new-hash");
        EXPECT_EQ(u->token_version, 1u);
        EXPECT_EQ(u->updated_at_us, t0_us + 10'000'000);
        EXPECT_EQ(u->created_at_us, t0_us);
        EXPECT_FALSE(co_await store_->find_user_by_email("dave@x.org"));
        auto by_new = co_await store_->find_user_by_email("david@x.org");
        EXPECT_TRUE(by_new && by_new->id == 1);

        // Another user's email (any case): refused, nothing changes.
        UserPatch clash;
        clash.email = "ERIN@x.org";
        clash.first_name = "Nope";
        EXPECT_FALSE(co_await store_->update_user(1, clash));
        auto same = co_await store_->find_user(1);
        EXPECT_TRUE(same && same->first_name == "David");
        // Re-casing one's own email is fine.
        UserPatch own;
        own.email = "DAVID@x.org";
        auto recased = co_await store_->update_user(1, own);
        EXPECT_TRUE(recased && recased->email == "DAVID@x.org");
        EXPECT_TRUE(co_await store_->find_user_by_email("david@X.ORG"));

        // last_login alone leaves updated_at as it was (Django's update_last_login).
        advance(5s);
        UserPatch login;
        login.last_login_us = now_us_->load();
        auto logged = co_await store_->update_user(1, login);
        EXPECT_TRUE(logged && logged->last_login_us == now_us_->load());
        EXPECT_TRUE(logged && logged->updated_at_us == t0_us + 10'000'000);
        EXPECT_FALSE(co_await store_->update_user(99, login));
        auto unchanged = co_await store_->update_user(2, no_patch());
        EXPECT_TRUE(unchanged && unchanged->username == "erin");
    });
    restart();
    on_loop([&](Loop&) -> Task<void> {
        auto u = co_await store_->find_user_by_email("david@X.ORG");
        EXPECT_TRUE(u && u->token_version == 1 && u->role == Role::super_user &&
                    u->last_login_us == t0_us + 15'000'000 && u->password_hash == "new-hash");
    });
}

// The password-hash precondition (one-time reset links, concurrent password changes): the
// update happens only while the stored hash is the expected one, and is then spent. A
// refused precondition is an answer (refused), not a failure of the store (unavailable).
TEST_P(StoreContract, UpdateWithPasswordPreconditionHappensOnce) {
    on_loop([&](Loop&) -> Task<void> {
        User u = make_user("gwen", "gwen@x.org");
        std::string original = u.password_hash;
        co_await store_->create_user(std::move(u), no_mail());
        UserPatch first;
        first.password_hash = "hash-two";
        first.bump_token_version = true;
        first.if_password_hash = original;
        auto changed = co_await store_->update_user(1, first);
        EXPECT_TRUE(changed.ok());
        EXPECT_TRUE(changed && changed->password_hash == "hash-two" &&
                    changed->token_version == 1u);
        UserPatch again;  // the same precondition a second time: refused, nothing changes
        again.password_hash = "hash-three";
        again.bump_token_version = true;
        again.if_password_hash = original;
        EXPECT_TRUE((co_await store_->update_user(1, again)).refused())
            << "a refused precondition is an answer, not an outage";
        auto now = co_await store_->find_user(1);
        EXPECT_TRUE(now && now->password_hash == "hash-two" && now->token_version == 1u);
        UserPatch next;  // against the current hash it goes through
        next.password_hash = "hash-three";
        next.if_password_hash = "hash-two";
        auto third = co_await store_->update_user(1, next);
        EXPECT_TRUE(third && third->password_hash == "hash-three");
        EXPECT_TRUE((co_await store_->find_user(99)).not_found())
            << "no such user is an answer too";
    });
}

TEST_P(StoreContract, DeleteUserRemovesSessions) {
    on_loop([&](Loop&) -> Task<void> {
        co_await store_->create_user(make_user("frank"), no_mail());
        co_await store_->create_user(make_user("grace"), no_mail());
        EXPECT_TRUE(co_await store_->create_session(session("s-frank", 1, "j1", now_s() + 3600)));
        EXPECT_TRUE(co_await store_->create_session(session("s-grace", 2, "j2", now_s() + 3600)));
        EXPECT_TRUE(co_await store_->delete_user(1));
        auto r = co_await store_->rotate_refresh("s-frank", "j1", "j1b", now_s() + 7200);
        EXPECT_EQ(r->status, RotateStatus::unknown);
        EXPECT_FALSE(co_await store_->find_user_by_username("frank"));
        EXPECT_FALSE(co_await store_->find_user_by_email("frank@example.com"));
        // The name and email are free again (the id is not).
        auto again = co_await store_->create_user(make_user("frank"), no_mail());
        EXPECT_TRUE(again->user && again->user->id == 3);
        // A session needs an existing user, and a sid.
        EXPECT_FALSE(co_await store_->create_session(session("s-ghost", 1, "j", now_s() + 60)));
        EXPECT_FALSE(co_await store_->create_session(session("", 2, "j", now_s() + 60)));
    });
    reopen();
    on_loop([&](Loop&) -> Task<void> {
        auto v = co_await store_->load_validation_state();
        EXPECT_EQ(v->token_versions.size(), 2u);
        auto r = co_await store_->rotate_refresh("s-grace", "j2", "j2b", now_s() + 7200);
        EXPECT_EQ(r->status, RotateStatus::rotated);
        auto gone = co_await store_->rotate_refresh("s-frank", "j1", "x", now_s() + 7200);
        EXPECT_EQ(gone->status, RotateStatus::unknown);
    });
}

Task<void> check_filters_and_pages(Store& store) {
    UserQuery all;
    all.limit = 10;
    auto page = co_await store.list_users(all);
    EXPECT_EQ(page->total, 30u);
    EXPECT_EQ(page->items.size(), 10u);
    EXPECT_TRUE(!page->items.empty() && page->items.front().id == 1);
    all.offset = 25;
    page = co_await store.list_users(all);
    EXPECT_EQ(page->total, 30u);
    EXPECT_EQ(page->items.size(), 5u);
    EXPECT_TRUE(!page->items.empty() && page->items.front().id == 26);
    all.offset = 40;
    EXPECT_TRUE((co_await store.list_users(all))->items.empty());

    UserQuery agents;
    agents.role = Role::agent;
    page = co_await store.list_users(agents);
    EXPECT_EQ(page->total, 10u);
    for (auto& u : page->items) EXPECT_EQ(u.role, Role::agent);
    agents.is_active = true;  // multiples of 6
    page = co_await store.list_users(agents);
    EXPECT_EQ(page->total, 5u);
    EXPECT_TRUE(page->items.size() > 1 && page->items[1].id == 12);

    UserQuery inactive;
    inactive.is_active = false;
    EXPECT_EQ((co_await store.list_users(inactive))->total, 15u);
}

Task<void> check_searches(Store& store) {
    UserQuery search;
    search.search = "USER1";  // user1, user10..user19
    auto page = co_await store.list_users(search);
    EXPECT_EQ(page->total, 11u);
    search.search = "zOË";  // first name, non-ASCII case
    page = co_await store.list_users(search);
    EXPECT_EQ(page->total, 1u);
    EXPECT_TRUE(page->total == 1 && page->items.size() == 1 && page->items[0].id == 7);
    search.search = "mcsearch";  // last name
    EXPECT_EQ((co_await store.list_users(search))->total, 1u);
    search.search = "user3@EXAMPLE";  // email
    EXPECT_EQ((co_await store.list_users(search))->total, 1u);
    search.search.assign("user3\0example", 13);  // never across fields
    EXPECT_EQ((co_await store.list_users(search))->total, 0u);
    search.search = "nobody";
    EXPECT_EQ((co_await store.list_users(search))->total, 0u);
    search.search = "user2";
    search.limit = 3;
    search.offset = 2;
    page = co_await store.list_users(search);
    EXPECT_EQ(page->total, 11u);  // user2, user20..user29
    EXPECT_EQ(page->items.size(), 3u);
    EXPECT_TRUE(!page->items.empty() && page->items[0].id == 21);
    search = all_users();
    search.search = "user";
    search.role = Role::agent;
    search.is_active = false;  // 3, 9, 15, 21, 27
    page = co_await store.list_users(search);
    EXPECT_EQ(page->total, 5u);
    EXPECT_TRUE(page->items.size() == 5 && page->items[4].id == 27);
}

TEST_P(StoreContract, ListUsersFiltersSearchesAndPaginates) {
    on_loop([&](Loop&) -> Task<void> {
        for (int i = 1; i <= 30; ++i) {
            User u = make_user("user" + std::to_string(i));
            u.role = i % 3 == 0 ? Role::agent : Role::client;
            u.is_active = i % 2 == 0;
            if (i == 7) u.first_name = "Zoë";
            if (i == 8) u.last_name = "McSearchable";
            co_await store_->create_user(u, no_mail());
        }
        co_await check_filters_and_pages(*store_);
        co_await check_searches(*store_);

        // Updates and deletes keep the search text and the filters right.
        UserPatch p;
        p.first_name = "Renamed";
        p.role = Role::agent;
        co_await store_->update_user(7, p);
        UserQuery search = all_users();
        search.search = "zoë";
        EXPECT_EQ((co_await store_->list_users(search))->total, 0u);
        search.search = "renamed";
        EXPECT_EQ((co_await store_->list_users(search))->total, 1u);
        UserQuery renamed_agents = search;
        renamed_agents.role = Role::agent;
        EXPECT_EQ((co_await store_->list_users(renamed_agents))->total, 1u);
        UserQuery agents_now;
        agents_now.role = Role::agent;
        EXPECT_EQ((co_await store_->list_users(agents_now))->total, 11u);
        co_await store_->delete_user(7);
        EXPECT_EQ((co_await store_->list_users(search))->total, 0u);
        EXPECT_EQ((co_await store_->list_users(renamed_agents))->total, 0u);
        EXPECT_EQ((co_await store_->list_users(agents_now))->total, 10u);
        EXPECT_EQ((co_await store_->list_users(all_users()))->total, 29u);
    });
}

// Searches over every user there is, compared with a brute-force answer.
Task<void> check_search_against_brute_force(Store& store, const std::vector<User>& everyone) {
    for (const char* needle : {"member12", "@corp3", "MEMBER2599", "first member25", "zz"}) {
        for (int filter = 0; filter < 3; ++filter) {
            UserQuery q;
            q.search = needle;
            q.limit = 7;
            q.offset = 3;
            if (filter == 1) q.role = Role::agent;
            if (filter == 2) q.is_active = true;
            std::vector<int64_t> want;
            std::string folded = needle;
            for (char& c : folded)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            for (const User& u : everyone) {
                std::string text =
                    u.username + "\n" + u.email + "\n" + u.first_name + "\n" + u.last_name;
                for (char& c : text)
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                if (text.find(folded) == std::string::npos) continue;
                if (q.role && u.role != *q.role) continue;
                if (q.is_active && u.is_active != *q.is_active) continue;
                want.push_back(u.id);
            }
            UserPage page = *co_await store.list_users(q);
            EXPECT_EQ(page.total, want.size()) << needle << " filter " << filter;
            for (size_t k = 0; k < page.items.size(); ++k) {
                EXPECT_TRUE(k + 3 < want.size() && page.items[k].id == want[k + 3]) << needle;
            }
            EXPECT_EQ(page.items.size(), std::min<size_t>(7, want.size() > 3 ? want.size() - 3 : 0))
                << needle;
        }
    }
}

// Many users (on Redis: several search blobs of 1024 ids each), created concurrently with
// and without a mail (on Redis reserved ids may commit out of order), then searched.
TEST_P(StoreContract, SearchMatchesBruteForce) {
    constexpr int n = 2600;
    allow_slow_commands();
    on_loop([&](Loop&) -> Task<void> {
        Join join(n);
        auto one = [](Store& s, int i, Join& j) -> Task<void> {
            User u = make_user("member" + std::to_string(i),
                               "m" + std::to_string(i) + "@corp" + std::to_string(i % 7) + ".org");
            u.role = i % 5 == 0 ? Role::agent : Role::client;
            u.is_active = i % 3 != 0;
            MailComposer compose = i % 2 ? mail_to_user() : no_mail();
            co_await s.create_user(std::move(u), std::move(compose));
            j.done();
        };
        for (int i = 0; i < n; ++i) core::spawn(one(*store_, i, join));
        co_await join.wait();
        UserQuery everyone;
        everyone.limit = n;
        UserPage all = *co_await store_->list_users(everyone);
        EXPECT_EQ(all.total, static_cast<size_t>(n));
        EXPECT_EQ(all.items.size(), static_cast<size_t>(n));
        EXPECT_TRUE(std::is_sorted(all.items.begin(), all.items.end(),
                                   [](const User& a, const User& b) { return a.id < b.id; }));
        co_await check_search_against_brute_force(*store_, all.items);
    });
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::Values("embedded", "redis"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             return info.param;
                         });

}  // namespace
}  // namespace authd::store::contract
