// `authd import-django` end to end with a dump made by real Django: passwords of every hasher
// log in (and are upgraded), re-runs, dry runs, skips and malformed records; the pending list.
#include "core/run_blocking.hpp"
#include "store/embedded_store.hpp"
#include "tests/integration/django_migration_support.hpp"

namespace authd::test::v1 {
namespace {

class DjangoImport : public DjangoMigrationFixture {
  protected:
    // The password hashes the store holds for users 1..7 (embedded: the server is stopped
    // to open its store, then started again).
    std::vector<std::string> stored_hashes() {
        std::vector<std::string> out;
        if (on_redis()) {
            for (int id = 1; id <= 7; ++id) {
                auto h = server_.redis()->command(
                    {"HGET", "{authd}:user:" + std::to_string(id), "password_hash"});
                out.push_back(h.value_or(""));
            }
            return out;
        }
        EXPECT_EQ(server_.stop(), 0);
        std::string error;
        auto store = store::open_embedded_store(server_.data_dir(), error);
        EXPECT_TRUE(store) << error;
        for (int id = 1; store && id <= 7; ++id) {
            auto u = core::run_blocking(store->find_user(id), error);
            out.push_back(u && *u ? (*u)->password_hash : "");
        }
        if (store) store->close();
        EXPECT_TRUE(server_.restart());
        return out;
    }
    static size_t argon2_count(const std::vector<std::string>& hashes) {
        size_t n = 0;
        for (const auto& h : hashes) n += h.starts_with("$argon2id$v=19$m=1024,t=1") ? 1 : 0;
        return n;
    }
};

struct Account {
    const char* username;
    const char* password;
    const char* role;
};
constexpr Account kActive[] = {
    {"alice", "Alice-pw-1", "CLIENT"}, {"bob", "Bob-pw-2", "AGENT"},
    {"carol", "Carol-pw-3", "CLIENT"}, {"erin", "Erin-pw-5", "CLIENT"},
    {"frank", "Frank-pw-6", "CLIENT"}, {"root", "Root-pw-7", "SUPER_USER"}};

TEST_F(DjangoImport, EveryDjangoHasherLogsInAndIsUpgradedOnce) {
    CommandResult r = import_and_start(django_dump());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("Imported 7 users, skipped 0"), std::string::npos) << r.out;
    EXPECT_EQ(argon2_count(stored_hashes()), 0u) << "Django's hashes are imported as they are";
    for (const Account& a : kActive) {
        SCOPED_TRACE(a.username);
        EXPECT_EQ(login(a.username, "Wrong-pw-0").status, 401);
        auto pair = tokens(a.username, a.password);
        ASSERT_TRUE(pair) << login(a.username, a.password).body;
        HttpResponse v = validate(pair->access);
        EXPECT_EQ(json_string(v.body, "role"), a.role) << v.body;
        EXPECT_EQ(json_string(v.body, "username"), a.username);
    }
    expect_detail(login("dave", "Dave-pw-4"), 403, "User account is disabled.", "account_inactive");
    const std::vector<std::string> upgraded = stored_hashes();
    EXPECT_EQ(argon2_count(upgraded), 6u) << "each first login stored an Argon2id hash";
    EXPECT_TRUE(upgraded[3].starts_with("bcrypt_sha256$")) << "inactive dave never logged in";
    for (const Account& a : kActive) EXPECT_EQ(login(a.username, a.password).status, 200);
    EXPECT_EQ(login("alice", "Alice-pw-2").status, 401);
    EXPECT_EQ(stored_hashes(), upgraded) << "later logins verify Argon2id, store nothing new";

    auto alice = tokens("alice", "Alice-pw-1");
    ASSERT_TRUE(alice);
    HttpResponse profile =
        get("/api/auth/profile/", {{"Authorization", "Bearer " + alice->access}});
    EXPECT_EQ(json_string(profile.body, "phone_number"), "+33612345678") << profile.body;
    EXPECT_EQ(json_string(profile.body, "address"), "1 rue de Paris");
    EXPECT_EQ(json_string(profile.body, "first_name"), "Alice");
    EXPECT_EQ(json_int(profile.body, "id"), 1);
    HttpResponse next = signup("newcomer", "newcomer@example.com");
    ASSERT_EQ(next.status, 201) << next.body;
    EXPECT_GT(json_int(next.body, "id"), 7) << "signups continue above the imported ids";
}

TEST_F(DjangoImport, DryRunReRunAndSkips) {
    if (on_redis()) {
        ASSERT_TRUE(start());
    }
    CommandResult dry = import(django_dump(), {"--dry-run"});
    ASSERT_EQ(dry.exit_code, 0) << dry.out << dry.err;
    EXPECT_NE(dry.out.find("Dry run: would import 7 users"), std::string::npos) << dry.out;
    CommandResult first = import(django_dump(), {"--staff-as-agent"});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    EXPECT_NE(first.out.find("Imported 7 users"), std::string::npos) << first.out;
    CommandResult again = import(django_dump());
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("Imported 0 users, skipped 7 (id already present: 7)"),
              std::string::npos)
        << again.out;
    EXPECT_NE(again.out.find("skipped pk=1 username=alice: id already present"), std::string::npos);

    TempDir tmp("authd-dump");
    std::string mixed = tmp.file("mixed.json");
    write_text(mixed, R"([
 {"model": "accounts.user", "pk": 99, "fields": {"username": "ALICE", "password": "!x",
  "email": "other@example.com", "is_active": true}},
 {"model": "accounts.user", "pk": 50, "fields": {"username": "zoe", "password": "!x",
  "email": "BOB@example.com"}},
 {"model": "accounts.user", "pk": 60, "fields": {"username": "yann", "password": "!x",
  "email": "yann@example.com", "is_staff": true}},
 {"model": "accounts.user", "pk": 61, "fields": {"username": "nomail", "password": "!x",
  "email": ""}}
])");
    CommandResult m = import(mixed);
    ASSERT_EQ(m.exit_code, 0) << m.err;
    EXPECT_NE(m.out.find("Imported 1 users, skipped 3"), std::string::npos) << m.out;
    EXPECT_NE(m.out.find("pk=99 username=ALICE: username already present"), std::string::npos);
    EXPECT_NE(m.out.find("pk=50 username=zoe: email already present"), std::string::npos);
    EXPECT_NE(m.out.find("pk=61 username=nomail: no email"), std::string::npos);
    if (!on_redis()) {
        ASSERT_TRUE(start());
    }
    EXPECT_EQ(login("alice", "Alice-pw-1").status, 200);
    if (!on_redis()) {  // the embedded store is locked by the running server
        CommandResult busy = import(django_dump());
        EXPECT_NE(busy.exit_code, 0) << busy.out;
        EXPECT_NE(busy.err.find("nothing was imported"), std::string::npos) << busy.err;
    }
}

TEST_F(DjangoImport, MalformedRecordStopsBeforeAnythingIsWritten) {
    if (on_redis()) {
        ASSERT_TRUE(start());
    }
    std::string text = read_text(django_dump());
    size_t carol = text.find("\"username\": \"carol\"");
    ASSERT_NE(carol, std::string::npos);
    size_t active = text.find("\"is_active\": true", carol);
    ASSERT_NE(active, std::string::npos);
    text.replace(active, 17, "\"is_active\": \"yes\"");
    TempDir tmp("authd-dump");
    write_text(tmp.file("bad.json"), text);
    CommandResult bad = import(tmp.file("bad.json"));
    EXPECT_EQ(bad.exit_code, 1) << bad.out << bad.err;
    EXPECT_NE(bad.err.find("malformed record pk=3"), std::string::npos) << bad.err;
    EXPECT_NE(bad.err.find("nothing was imported"), std::string::npos) << bad.err;
    write_text(tmp.file("cut.json"), text.substr(0, text.size() / 2));
    CommandResult cut = import(tmp.file("cut.json"));
    EXPECT_EQ(cut.exit_code, 1) << cut.out;
    write_text(tmp.file("object.json"), R"({"model": "accounts.user"})");
    EXPECT_EQ(import(tmp.file("object.json")).exit_code, 1);
    EXPECT_NE(import(tmp.file("missing.json")).exit_code, 0);
    if (!on_redis()) {
        ASSERT_TRUE(start());
    }
    EXPECT_EQ(login("alice", "Alice-pw-1").status, 401) << "nothing was imported";
}

TEST_F(DjangoImport, PendingListReturnsEveryPendingUserUpToTheMaximum) {
    TempDir tmp("authd-dump");
    std::string file = tmp.file("pending.json");
    run_python(std::string(AUTHD_SOURCE_DIR) + "/bench/gen_django_dump.py 150 " + file +
               " --inactive --with-admin");
    CommandResult r = import_and_start(file, {{"AUTHD_LIST_MAX", "120"}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto boss = tokens("admin", "Bench-pw-1");
    ASSERT_TRUE(boss);
    Headers auth = {{"Authorization", "Bearer " + boss->access}};
    HttpResponse all = get("/api/auth/users/pending/", auth);
    ASSERT_EQ(all.status, 200) << all.body;
    EXPECT_EQ(json_array_size(all.body, ""), 120u);
    EXPECT_EQ(all.header("X-Total-Count"), "150");
    HttpResponse capped = get("/api/auth/users/pending/?limit=500", auth);
    EXPECT_EQ(json_array_size(capped.body, ""), 120u);
    HttpResponse page = get("/api/auth/users/pending/?limit=10&offset=145", auth);
    EXPECT_EQ(json_array_size(page.body, ""), 5u);
    HttpResponse plain = get("/api/auth/users/?is_active=false", auth);
    EXPECT_EQ(json_array_size(plain.body, ""), 100u) << "the general list keeps its page size";
}

}  // namespace
}  // namespace authd::test::v1
