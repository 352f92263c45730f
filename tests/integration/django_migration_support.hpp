// Shared set-up of the Django migration tests: a real Django project made once per run
// (tests/django/make_project.py), PyJWT tokens in SimpleJWT's format, and `authd
// import-django` run against the test's store (embedded before the server starts, Redis with
// the server running).
#pragma once
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/integration/auth_v1_support.hpp"

namespace authd::test::v1 {

inline std::string run_python(const std::string& args) {
    std::string cmd = "/usr/bin/python3 " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return {};
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

inline std::string script(std::string_view name) {
    return std::string(AUTHD_SOURCE_DIR) + "/tests/django/" + std::string(name);
}

inline std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline void write_text(const std::string& path, std::string_view text) {
    std::ofstream(path) << text;
}

// The Django project and its dump, made once and kept beside the test binary (each ctest
// test is its own process; making the project costs seconds). Built in a temporary directory
// and renamed into place, so parallel tests never see half a project.
inline const std::string& django_dump() {
    static const std::string dump = [] {
        std::string bin = AUTHD_BINARY;
        std::string dir = bin.substr(0, bin.rfind('/')) + "/django-fixture";
        std::string file = dir + "/dump.json";
        if (!read_text(file).empty()) return file;
        TempDir tmp("authd-django");
        run_python(script("make_project.py") + " " + tmp.file("project"));
        if (std::rename(tmp.file("project").c_str(), dir.c_str()) != 0 && read_text(file).empty())
            return tmp.file("project") + "/dump.json";  // unreachable in practice
        return file;
    }();
    return dump;
}

constexpr const char* kDjangoKey = "django-insecure-test-signing-key-0123456789";

inline std::string simplejwt(std::string_view key, int64_t user_id, std::string_view type,
                             int lifetime) {
    return run_python(script("make_token.py") + " '" + std::string(key) + "' " +
                      std::to_string(user_id) + " " + std::string(type) + " " +
                      std::to_string(lifetime));
}

class DjangoMigrationFixture : public AuthV1Fixture {
  protected:
    static bool on_redis() {
        const char* b = std::getenv("AUTHD_TEST_BACKEND");
        return b && std::string_view(b) == "redis";
    }
    std::map<std::string, std::string> store_env() const {
        if (on_redis()) return {{"AUTHD_STORE", server_.redis()->url()}};
        return {{"AUTHD_STORE", "file:" + server_.data_dir()}};
    }
    CommandResult import(const std::string& file, std::vector<std::string> flags = {}) {
        std::vector<std::string> args = {"import-django", file};
        args.insert(args.end(), flags.begin(), flags.end());
        return run_authd(args, store_env());
    }
    // Imports `file` and leaves the server running with `env`: embedded, the import runs on
    // the stopped store; Redis, it runs beside the running server, which then restarts (so
    // that these tests cover the directory built at start; LegacyTokensRedis covers imports
    // heard live).
    CommandResult import_and_start(const std::string& file,
                                   std::map<std::string, std::string> env = {},
                                   std::vector<std::string> flags = {}) {
        CommandResult r;
        if (on_redis()) {
            EXPECT_TRUE(start(env));
            r = import(file, flags);
            EXPECT_TRUE(server_.restart());
        } else {
            r = import(file, flags);
            EXPECT_TRUE(start(env));
        }
        return r;
    }
};

}  // namespace authd::test::v1
