// Tests of LoopValidationListener: changes heard from a shared store reach every loop's
// ValidationCache, and a resync replaces the versions but keeps local revocations.
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "auth/validation_listener.hpp"
#include "core/loop_group.hpp"

namespace authd::auth {
namespace {

struct Seen {
    std::optional<uint32_t> v1, v2, v3;
    bool old_revoked = false, x_revoked = false, new_revoked = false;
};

TEST(LoopValidationListener, AppliesChangesAndResyncsOnEveryLoop) {
    Services services(AuthSettings{}, "listener-test-secret-key-0123456789abcdef",
                      HashParams{1, 8 * 1024});
    core::LoopGroup group;
    services.loops = &group;
    store::ValidationState initial;
    initial.token_versions = {{1, 0}, {2, 0}};
    initial.revoked_sessions = {{"old", 4'000'000'000}};
    for (int i = 0; i < 2; ++i) {
        auto ctx = std::make_unique<LoopContext>();
        ctx->services = &services;
        ctx->loop_index = i;
        ctx->cache.load(initial);
        services.contexts.push_back(std::move(ctx));
    }
    std::string error;
    ASSERT_TRUE(group.start(
        2, 64, [](core::Loop&, std::string&) { return true; }, error))
        << error;

    LoopValidationListener listener(services);
    std::mutex mutex;
    std::vector<Seen> seen;
    auto probe = [&] {
        seen.clear();
        group.post_all([&](core::Loop& l) {
            const ValidationCache& c = services.contexts[static_cast<size_t>(l.index())]->cache;
            std::lock_guard lock(mutex);
            seen.push_back({c.token_version(1), c.token_version(2), c.token_version(3),
                            c.is_revoked("old"), c.is_revoked("sid-x"), c.is_revoked("new")});
        });
        for (int i = 0; i < 500; ++i) {
            {
                std::lock_guard lock(mutex);
                if (seen.size() == 2) return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    };

    listener.on_token_version(1, 3);
    listener.on_token_version(1, 2);  // a late message never rolls a version back
    listener.on_session_revoked("sid-x", 4'000'000'000);
    listener.on_user_removed(2);
    probe();  // each loop's mailbox is FIFO: the probe runs after the changes
    ASSERT_EQ(seen.size(), 2u);
    for (const Seen& s : seen) {
        EXPECT_EQ(s.v1, 3u);
        EXPECT_FALSE(s.v2);
        EXPECT_TRUE(s.old_revoked && s.x_revoked);
    }

    store::ValidationState fresh;
    fresh.token_versions = {{1, 5}, {3, 0}};
    fresh.revoked_sessions = {{"new", 4'000'000'000}};
    listener.on_resync(fresh);
    probe();
    ASSERT_EQ(seen.size(), 2u);
    for (const Seen& s : seen) {
        EXPECT_EQ(s.v1, 5u);
        EXPECT_FALSE(s.v2);
        EXPECT_EQ(s.v3, 0u);
        EXPECT_TRUE(s.new_revoked);
        EXPECT_TRUE(s.old_revoked && s.x_revoked) << "revocations made here survive a resync";
    }
    group.post_all([](core::Loop& l) { l.stop(); });
    group.join();
}

}  // namespace
}  // namespace authd::auth
