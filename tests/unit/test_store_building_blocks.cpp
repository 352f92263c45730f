// Tests of the embedded store's building blocks: case folding, the record codec, the
// user table's search (against a naive model) and the secret-key file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "store/case_fold.hpp"
#include "store/record_codec.hpp"
#include "store/secret_key.hpp"
#include "store/user_table.hpp"

namespace authd::store {
namespace {

namespace fs = std::filesystem;

User make_user(const std::string& name) {
    User u;
    u.username = name;
    u.email = name + "@example.com";
    u.first_name = "First " + name;
    u.last_name = "Last";
    u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
    return u;
}

TEST(CaseFold, LowerCasesScriptsAndKeepsTheRest) {
    EXPECT_EQ(fold_case("Alice.Smith+Tag@Example.COM"), "alice.smith+tag@example.com");
    EXPECT_EQ(fold_case("ÉMILE Ÿ"), "émile ÿ");
    EXPECT_EQ(fold_case("ΑΒΓ Ωμέγα"), "αβγ ωμέγα");
    EXPECT_EQ(fold_case("ПРИВЕТ Ёж"), "привет ёж");
    EXPECT_EQ(fold_case("ŁÓDŹ"), "łódź");
    EXPECT_EQ(fold_case("İ"), "i\xcc\x87");
    EXPECT_EQ(fold_case("ＡＢＣ"), "ａｂｃ");
    EXPECT_EQ(fold_case("日本語"), "日本語");
    EXPECT_EQ(fold_case("bad\xff\xc3"), "bad\xff\xc3");    // invalid bytes kept
    EXPECT_EQ(fold_case("\xed\xa0\x80"), "\xed\xa0\x80");  // a surrogate is not decoded
}

TEST(RecordCodec, RoundTripsEveryRecordAndRejectsDamage) {
    std::string buf;
    User u = make_user("codec");
    u.id = 42;
    u.role = Role::super_user;
    u.is_active = true;
    u.token_version = 7;
    u.last_login_us = -5;
    OutboxMail m{9, "to", "subj", "text", "html", 2, 1234};
    encode_user_create(buf, u, &m);
    auto rec = decode_record(buf);
    ASSERT_TRUE(rec);
    auto* c = std::get_if<UserCreateRecord>(&*rec);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->user.username, "codec");
    EXPECT_EQ(c->user.role, Role::super_user);
    EXPECT_EQ(c->user.token_version, 7u);
    EXPECT_EQ(c->user.last_login_us, -5);
    ASSERT_TRUE(c->mail);
    EXPECT_EQ(c->mail->html_body, "html");
    EXPECT_EQ(c->mail->next_attempt_us, 1234);
    for (size_t cut = 0; cut < buf.size(); ++cut) {
        EXPECT_FALSE(decode_record(std::string_view(buf).substr(0, cut))) << cut;
    }
    EXPECT_FALSE(decode_record(buf + "x"));

    encode_session_put(buf, Session{"sid", 3, "jti", 99, true});
    rec = decode_record(buf);
    ASSERT_TRUE(rec && std::holds_alternative<SessionPutRecord>(*rec));
    EXPECT_TRUE(std::get<SessionPutRecord>(*rec).session.revoked);
    encode_mail_retry(buf, 5, 6, 7);
    rec = decode_record(buf);
    ASSERT_TRUE(rec && std::get<MailRetryRecord>(*rec).next_attempt_us == 7);
    encode_meta(buf, {10, 20});
    rec = decode_record(buf);
    ASSERT_TRUE(rec && std::get<MetaRecord>(*rec).next_mail_id == 20);
    buf[0] = 77;
    EXPECT_FALSE(decode_record(buf));
    u.address = "ADDR";
    encode_user_put(buf, u);
    ASSERT_TRUE(decode_record(buf));
    buf[buf.find("ADDR") + 4] = 9;  // the role byte that follows the address: out of range
    EXPECT_FALSE(decode_record(buf));
}

// The table's SIMD search, slot and arena compaction checked against a naive model.
TEST(UserTable, SearchMatchesANaiveModelThroughUpdatesAndDeletes) {
    std::mt19937 rng(12345);
    const std::string alphabet = "abcAB.-_@xyzÉé";
    auto random_text = [&](size_t max_len) {
        std::string t;
        size_t len = rng() % (max_len + 1);
        for (size_t i = 0; i < len; ++i) t += alphabet[rng() % alphabet.size()];
        return t;
    };
    UserTable table;
    std::map<int64_t, User> model;
    auto put = [&](int64_t id) {
        User u;
        u.id = id;
        u.username = "u" + std::to_string(id) + random_text(20);
        u.email = random_text(30) + "@" + std::to_string(id) + ".org";
        u.first_name = random_text(40);
        u.last_name = random_text(5);
        u.role = static_cast<Role>(rng() % 3);
        u.is_active = rng() % 2;
        model[id] = u;
        table.put(u);
    };
    auto check = [&](const std::string& search) {
        UserQuery q;
        q.search = search;
        q.limit = 1000000;
        std::string needle = fold_case(search);
        std::vector<int64_t> expected;
        for (const auto& [id, u] : model) {
            for (const std::string* f : {&u.username, &u.email, &u.first_name, &u.last_name}) {
                if (fold_case(*f).find(needle) != std::string::npos) {
                    expected.push_back(id);
                    break;
                }
            }
        }
        UserPage page = table.list(q);
        std::vector<int64_t> got;
        for (const User& u : page.items) got.push_back(u.id);
        EXPECT_EQ(got, expected) << "search: " << search;
        EXPECT_EQ(page.total, expected.size());
    };
    auto check_some = [&] {
        for (int k = 0; k < 40; ++k) {
            const User& u = std::next(model.begin(), rng() % model.size())->second;
            const std::string& f = k % 2 ? u.first_name : u.email;
            if (f.empty()) continue;
            size_t a = rng() % f.size(), b = rng() % f.size();
            check(f.substr(std::min(a, b), std::max(a, b) - std::min(a, b) + 1));
        }
        for (int k = 0; k < 10; ++k) check(random_text(3) + "a");
        check(model.begin()->second.first_name);  // a whole field
        check("@");
    };
    for (int64_t id = 1; id <= 3000; ++id) put(id);
    check_some();
    for (int round = 0; round < 6; ++round) {  // rewrites create arena garbage
        for (auto& [id, u] : model) put(id);
    }
    check_some();
    for (int64_t id = 1; id <= 3000; id += 1) {  // most deleted: slots get compacted
        if (id % 5 != 0) {
            table.erase(id);
            model.erase(id);
        }
    }
    EXPECT_EQ(table.size(), model.size());
    check_some();
    for (const auto& [id, u] : model) {
        const User* by_name = table.find_by_username(fold_case(u.username));
        EXPECT_TRUE(by_name && by_name->id == id);
        EXPECT_TRUE(table.find(id));
    }
    EXPECT_FALSE(table.find(1));
}

class SecretKeyTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/authd-key-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        root_ = tmpl;
    }
    void TearDown() override { fs::remove_all(root_); }
    std::string root_;
};

TEST_F(SecretKeyTest, CreatedOnceWithPrivateModeThenReused) {
    std::string dir = root_ + "/store";
    std::string error;
    auto key = load_or_create_secret_key(dir, error);
    ASSERT_TRUE(key) << error;
    EXPECT_EQ(key->size(), 128u);
    EXPECT_EQ(key->find_first_not_of("0123456789abcdef"), std::string::npos);
    struct stat st {};
    ASSERT_EQ(stat((dir + "/secret_key").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto again = load_or_create_secret_key(dir, error);
    ASSERT_TRUE(again) << error;
    EXPECT_EQ(*again, *key);
    EXPECT_EQ(fs::directory_iterator(dir)->path().filename(), "secret_key");  // no temp left
}

TEST_F(SecretKeyTest, RefusesGroupOrOtherAccess) {
    std::string error;
    ASSERT_TRUE(load_or_create_secret_key(root_, error)) << error;
    std::string path = root_ + "/secret_key";
    chmod(path.c_str(), 0640);
    EXPECT_FALSE(load_or_create_secret_key(root_, error));
    EXPECT_NE(error.find("mode 0640"), std::string::npos) << error;
    EXPECT_NE(error.find("chmod 600"), std::string::npos) << error;
    chmod(path.c_str(), 0604);
    EXPECT_FALSE(load_or_create_secret_key(root_, error));
    chmod(path.c_str(), 0400);
    EXPECT_TRUE(load_or_create_secret_key(root_, error)) << error;
}

TEST_F(SecretKeyTest, AcceptsAProvidedKeyAndRefusesAnEmptyOne) {
    std::string path = root_ + "/secret_key";
    {
        std::ofstream out(path);
        out << "my-own-key\n";
    }
    chmod(path.c_str(), 0600);
    std::string error;
    auto key = load_or_create_secret_key(root_, error);
    ASSERT_TRUE(key) << error;
    EXPECT_EQ(*key, "my-own-key");
    { std::ofstream truncate(path, std::ios::trunc); }
    EXPECT_FALSE(load_or_create_secret_key(root_, error));
    EXPECT_NE(error.find("is empty"), std::string::npos) << error;
}

}  // namespace
}  // namespace authd::store
