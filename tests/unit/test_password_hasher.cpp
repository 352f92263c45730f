// Tests of auth/password_hasher: Argon2id PHC strings, verification, rehash detection and
// the dummy hash. Cheap parameters keep them fast; one test uses the defaults.
#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "auth/password_hasher.hpp"

namespace authd::auth {
namespace {

HashParams cheap() {
    return HashParams{crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN};
}

TEST(PasswordHasher, HashIsArgon2idPhcWithConfiguredParams) {
    const PasswordHasher hasher(HashParams{1, 64 * 1024});
    const auto phc = hasher.hash("correct horse battery staple");
    ASSERT_TRUE(phc.has_value());
    EXPECT_EQ(phc->rfind("$argon2id$v=19$m=64,t=1,p=1$", 0), 0u) << *phc;
    EXPECT_EQ(std::count(phc->begin(), phc->end(), '$'), 5);
}

TEST(PasswordHasher, VerifyAcceptsRightAndRejectsWrongPassword) {
    const PasswordHasher hasher(cheap());
    const auto phc = hasher.hash("s3cret-Pa55");
    ASSERT_TRUE(phc);
    EXPECT_TRUE(hasher.verify(*phc, "s3cret-Pa55"));
    EXPECT_FALSE(hasher.verify(*phc, "s3cret-Pa56"));
    EXPECT_FALSE(hasher.verify(*phc, "S3cret-Pa55"));
    EXPECT_FALSE(hasher.verify(*phc, ""));
    EXPECT_FALSE(hasher.verify(*phc, "s3cret-Pa55 "));
}

TEST(PasswordHasher, SaltMakesEveryHashDifferent) {
    const PasswordHasher hasher(cheap());
    const auto a = hasher.hash("same password");
    const auto b = hasher.hash("same password");
    ASSERT_TRUE(a && b);
    EXPECT_NE(*a, *b);
    EXPECT_TRUE(hasher.verify(*a, "same password"));
    EXPECT_TRUE(hasher.verify(*b, "same password"));
}

TEST(PasswordHasher, PasswordsWithNulBytesAreHashedWhole) {
    const PasswordHasher hasher(cheap());
    const std::string with_nul("abc\0def", 7);
    const auto phc = hasher.hash(with_nul);
    ASSERT_TRUE(phc);
    EXPECT_TRUE(hasher.verify(*phc, with_nul));
    EXPECT_FALSE(hasher.verify(*phc, "abc"));                       // not cut at the NUL
    EXPECT_FALSE(hasher.verify(*phc, std::string("abc\0deg", 7)));  // bytes after NUL count
}

TEST(PasswordHasher, Utf8PasswordsRoundTrip) {
    const PasswordHasher hasher(cheap());
    const std::string pw = "p\xC3\xA4ssw\xC3\xB6rd-\xE7\x94\xA8\xE6\x88\xB7";
    const auto phc = hasher.hash(pw);
    ASSERT_TRUE(phc);
    EXPECT_TRUE(hasher.verify(*phc, pw));
    EXPECT_FALSE(hasher.verify(*phc, "passw\xC3\xB6rd-\xE7\x94\xA8\xE6\x88\xB7"));
}

TEST(PasswordHasher, MalformedPhcNeverVerifies) {
    const PasswordHasher hasher(cheap());
    EXPECT_FALSE(hasher.verify("", "x"));
    EXPECT_FALSE(hasher.verify("not a hash", "not a hash"));
    EXPECT_FALSE(hasher.verify("$argon2id$v=19$m=8,t=1,p=1$", ""));
    EXPECT_FALSE(hasher.verify(std::string(500, 'A'), "x"));
    const auto phc = hasher.hash("pw");
    ASSERT_TRUE(phc);
    EXPECT_FALSE(hasher.verify(*phc + std::string(1, '\0') + "junk", "pw"));  // embedded NUL
    std::string tampered = *phc;
    tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(hasher.verify(tampered, "pw"));
}

TEST(PasswordHasher, VerifiesHashesMadeWithOtherParameters) {
    // A hash stored before a parameter change still verifies; it only needs a rehash.
    const PasswordHasher old_hasher(HashParams{1, 32 * 1024});
    const PasswordHasher new_hasher(HashParams{2, 64 * 1024});
    const auto phc = old_hasher.hash("migrate me");
    ASSERT_TRUE(phc);
    EXPECT_TRUE(new_hasher.verify(*phc, "migrate me"));
    EXPECT_TRUE(new_hasher.needs_rehash(*phc));
    EXPECT_FALSE(old_hasher.needs_rehash(*phc));
}

TEST(PasswordHasher, NeedsRehash) {
    const PasswordHasher hasher(cheap());
    const auto phc = hasher.hash("pw");
    ASSERT_TRUE(phc);
    EXPECT_FALSE(hasher.needs_rehash(*phc));
    EXPECT_TRUE(
        PasswordHasher(HashParams{2, crypto_pwhash_argon2id_MEMLIMIT_MIN}).needs_rehash(*phc));
    EXPECT_TRUE(
        PasswordHasher(HashParams{1, 2 * crypto_pwhash_argon2id_MEMLIMIT_MIN}).needs_rehash(*phc));
    EXPECT_TRUE(hasher.needs_rehash(""));
    EXPECT_TRUE(hasher.needs_rehash("garbage"));

    // An Argon2i hash (another algorithm) verifies but must be upgraded.
    char argon2i[crypto_pwhash_STRBYTES];
    ASSERT_EQ(crypto_pwhash_str_alg(argon2i, "pw", 2, 3, crypto_pwhash_argon2i_MEMLIMIT_MIN,
                                    crypto_pwhash_ALG_ARGON2I13),
              0);
    EXPECT_TRUE(hasher.verify(argon2i, "pw"));
    EXPECT_TRUE(hasher.needs_rehash(argon2i));
}

TEST(PasswordHasher, ParametersAreClampedToLibsodiumBounds) {
    const PasswordHasher hasher(HashParams{0, 1});
    EXPECT_EQ(hasher.params().ops_limit, crypto_pwhash_argon2id_OPSLIMIT_MIN);
    EXPECT_EQ(hasher.params().mem_limit, crypto_pwhash_argon2id_MEMLIMIT_MIN);
    const auto phc = hasher.hash("pw");
    ASSERT_TRUE(phc);
    EXPECT_TRUE(hasher.verify(*phc, "pw"));
}

TEST(PasswordHasher, DummyHashUsesSameParametersAndMatchesNothingGuessable) {
    const PasswordHasher hasher(cheap());
    const std::string& dummy = hasher.dummy_hash();
    EXPECT_EQ(dummy.rfind("$argon2id$v=19$m=8,t=1,p=1$", 0), 0u) << dummy;
    EXPECT_FALSE(hasher.needs_rehash(dummy));
    for (const char* guess : {"", "password", "admin", "dummy"}) {
        EXPECT_FALSE(hasher.verify(dummy, guess));
    }
    EXPECT_NE(dummy, PasswordHasher(cheap()).dummy_hash());  // random per instance
}

TEST(PasswordHasher, ConcurrentUseFromManyThreads) {
    const PasswordHasher hasher(cheap());
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&hasher, &ok, t] {
            const std::string pw = "thread-" + std::to_string(t);
            for (int i = 0; i < 5; ++i) {
                const auto phc = hasher.hash(pw);
                if (phc && hasher.verify(*phc, pw) && !hasher.verify(*phc, pw + "x")) ++ok;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(ok.load(), 20);
}

TEST(PasswordHasher, DefaultParametersAreOwaspMinimum) {
    const PasswordHasher hasher;  // 19 MiB, t=2
    EXPECT_EQ(hasher.params().ops_limit, 2u);
    EXPECT_EQ(hasher.params().mem_limit, 19u * 1024 * 1024);
    EXPECT_EQ(hasher.dummy_hash().rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u);
    const auto phc = hasher.hash("Tr0ub4dor&3-horse");
    ASSERT_TRUE(phc);
    EXPECT_EQ(phc->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << *phc;
    EXPECT_TRUE(hasher.verify(*phc, "Tr0ub4dor&3-horse"));
    EXPECT_FALSE(hasher.verify(*phc, "Tr0ub4dor&3-hors"));
    EXPECT_FALSE(hasher.needs_rehash(*phc));
}

}  // namespace
}  // namespace authd::auth
