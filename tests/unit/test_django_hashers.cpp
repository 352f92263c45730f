// Django's password hashes, made by the real Django at test time (tests/django/make_hashes.py),
// verified by auth/django_hashers and through PasswordHasher (login's entry point).
#include <gtest/gtest.h>
#include <simdjson.h>
#include <sodium.h>

#include <cstdio>
#include <string>
#include <vector>

#include "auth/django_hashers.hpp"
#include "auth/password_hasher.hpp"

namespace authd::auth {
namespace {

struct DjangoHash {
    std::string algorithm, password, encoded;
};

// Runs the generator once for the whole suite (a few seconds: one Django 3.2 default each).
const std::vector<DjangoHash>& django_hashes() {
    static const std::vector<DjangoHash> hashes = [] {
        std::vector<DjangoHash> out;
        std::string cmd = "/usr/bin/python3 " AUTHD_SOURCE_DIR "/tests/django/make_hashes.py";
        FILE* p = popen(cmd.c_str(), "r");
        if (!p) return out;
        std::string text;
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
        if (pclose(p) != 0) return std::vector<DjangoHash>{};
        simdjson::dom::parser parser;
        simdjson::dom::document_stream docs;
        if (parser.parse_many(text).get(docs)) return out;
        for (auto doc : docs) {
            DjangoHash h;
            h.algorithm = std::string(doc["algorithm"].get_string().value());
            h.password = std::string(doc["password"].get_string().value());
            h.encoded = std::string(doc["encoded"].get_string().value());
            out.push_back(std::move(h));
        }
        return out;
    }();
    return hashes;
}

TEST(DjangoHashers, EveryRealDjangoHashVerifiesAndRejectsAWrongPassword) {
    const auto& hashes = django_hashes();
    ASSERT_GE(hashes.size(), 30u) << "tests/django/make_hashes.py failed (python3-django?)";
    size_t usable = 0;
    for (const DjangoHash& h : hashes) {
        SCOPED_TRACE(h.algorithm + " " + h.encoded);
        if (h.algorithm == "unusable") {
            EXPECT_EQ(identify_django_hash(h.encoded), DjangoAlgorithm::unusable);
            EXPECT_FALSE(verify_django_hash(h.encoded, h.password));
            EXPECT_FALSE(verify_django_hash(h.encoded, ""));
            continue;
        }
        ++usable;
        EXPECT_NE(identify_django_hash(h.encoded), DjangoAlgorithm::none);
        EXPECT_TRUE(verify_django_hash(h.encoded, h.password));
        EXPECT_FALSE(verify_django_hash(h.encoded, "W" + h.password));
        EXPECT_FALSE(verify_django_hash(h.encoded, ""));
    }
    EXPECT_GE(usable, 30u);
}

TEST(DjangoHashers, PasswordHasherVerifiesDjangoHashesAndAsksForTheUpgrade) {
    const PasswordHasher hasher(
        HashParams{crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN});
    for (const DjangoHash& h : django_hashes()) {
        if (h.algorithm != "pbkdf2_sha1" && h.algorithm != "md5") continue;
        SCOPED_TRACE(h.encoded);
        EXPECT_TRUE(hasher.verify(h.encoded, h.password));
        EXPECT_TRUE(hasher.needs_rehash(h.encoded));
        PasswordVerdict v = verify_and_upgrade(hasher, h.encoded, h.password);
        ASSERT_TRUE(v.ok);
        ASSERT_TRUE(v.new_hash);
        EXPECT_TRUE(v.new_hash->starts_with("$argon2id$"));
        EXPECT_TRUE(hasher.verify(*v.new_hash, h.password));
        EXPECT_FALSE(hasher.needs_rehash(*v.new_hash));
        PasswordVerdict wrong = verify_and_upgrade(hasher, h.encoded, "W" + h.password);
        EXPECT_FALSE(wrong.ok);
        EXPECT_FALSE(wrong.new_hash);
    }
}

TEST(DjangoHashers, MalformedAndOutOfBoundsHashesNeverVerify) {
    for (const char* e :
         {"", "!", "!abc", "pbkdf2_sha256$", "pbkdf2_sha256$x$salt$hash", "pbkdf2_sha256$0$s$h",
          "pbkdf2_sha256$99999999999$s$h", "argon2$argon2d$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA",
          "argon2$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$aGFzaA", "bcrypt$$1$x", "bcrypt$",
          "scrypt$1$s$8$1$h", "scrypt$16384$s$8", "md5$salt", "crypt$$abc", "unknown$1$2",
          "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA"}) {
        EXPECT_FALSE(verify_django_hash(e, "password")) << e;
    }
    EXPECT_EQ(identify_django_hash("plain-text"), DjangoAlgorithm::none);
}

}  // namespace
}  // namespace authd::auth
