// `authd createsuperuser --username U --email E`: creates a superuser in the configured
// store. The password comes from AUTHD_SUPERUSER_PASSWORD, else it is prompted twice
// without echo and checked by the password validators (Django's createsuperuser does both).
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "auth/password_hasher.hpp"
#include "auth/password_policy.hpp"
#include "tools/server_app.hpp"
#include "tools/store_setup.hpp"

namespace authd::tools {
namespace {

std::optional<std::string> prompt_password(const char* prompt) {
    if (!isatty(STDIN_FILENO)) return std::nullopt;
    std::fprintf(stderr, "%s", prompt);
    termios old{};
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::string line;
    bool ok = static_cast<bool>(std::getline(std::cin, line));
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::fprintf(stderr, "\n");
    if (!ok) return std::nullopt;
    return line;
}

}  // namespace

int run_createsuperuser(const Config& config) {
    if (config.cli_username.empty() || config.cli_email.empty()) {
        std::fprintf(stderr, "authd: createsuperuser needs --username U --email E\n");
        return 2;
    }
    std::string password = config.superuser_password;
    if (password.empty()) {
        auto first = prompt_password("Password: ");
        auto second = first ? prompt_password("Password (again): ") : std::nullopt;
        if (!first || !second) {
            std::fprintf(stderr,
                         "authd: no password: set AUTHD_SUPERUSER_PASSWORD or run in a terminal\n");
            return 2;
        }
        if (*first != *second) {
            std::fprintf(stderr, "authd: the passwords do not match; nothing was changed\n");
            return 1;
        }
        auto problems =
            auth::validate_password(*first, {config.cli_username, config.cli_email, "", ""});
        if (!problems.empty()) {
            for (const auto& p : problems) std::fprintf(stderr, "authd: %s\n", p.c_str());
            return 1;
        }
        password = *first;
    }
    std::string error;
    std::unique_ptr<store::Store> store = open_configured_store(config, error);
    if (!store) {
        std::fprintf(stderr, "authd: %s; nothing was changed\n", error.c_str());
        return 1;
    }
    auth::PasswordHasher hasher({static_cast<unsigned long long>(config.argon2_ops),
                                 static_cast<size_t>(config.argon2_memory_kib) * 1024});
    auto hash = hasher.hash(password);
    auto err = hash ? ensure_superuser(*store, config.cli_username, config.cli_email, *hash, true)
                    : std::optional<std::string>("password hashing failed");
    store->close();
    if (err) {
        std::fprintf(stderr, "authd: %s\n", err->c_str());
        return 1;
    }
    std::printf("Superuser '%s' is ready.\n", config.cli_username.c_str());
    return 0;
}

}  // namespace authd::tools
