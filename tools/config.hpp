// Config: every AUTHD_* setting of API.md §8, read from the environment and overridden by
// the matching --flag (AUTHD_ACCESS_TTL ⇔ --access-ttl). Bad values are reported clearly.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace authd::tools {

struct Config {
    std::string command = "serve";
    std::string listen_host = "127.0.0.1";
    uint16_t listen_port = 8000;
    unsigned threads = 0;  // 0: number of cores
    std::string store = "file:./authd-data";
    std::string secret_key;  // empty: generated and kept in the embedded store's directory
    std::vector<std::string> secret_key_fallbacks;  // old secrets: verify only
    std::string jwt_alg = "HS256";                  // or EdDSA
    std::string jwt_private_key_file;               // PEM Ed25519; empty: the stored ring
    std::string issuer;                             // default: public_url
    int64_t access_ttl = 300;
    int64_t refresh_ttl = 86400;
    int64_t link_ttl = 259200;
    std::string public_url;  // default http://<listen>
    std::string smtp_url;
    std::string email_from = "authd@localhost";
    bool require_approval = false;
    std::vector<std::string> cors_origins;
    std::string forward_cookie;  // AUTHD_FORWARD_COOKIE
    // AUTHD_SERVICE_CLIENTS and the text of AUTHD_SERVICE_CLIENTS_FILE; both checked at load.
    std::string service_clients, service_clients_file_text;
    std::string superuser_username, superuser_email, superuser_password;
    int64_t header_timeout = 10;
    int64_t idle_timeout = 60;
    int64_t send_timeout = 30;  // a client reading none of its answers this long is closed
    int64_t login_max_failures = 10;
    int64_t login_ip_max_failures = 100;  // failed logins per client address per minute
    int64_t reset_mails_per_hour = 5;     // password-reset mails per account per hour
    std::string trusted_proxies;          // CIDRs, comma-separated; empty: none
    std::string forwarded_header = "x-forwarded-for";  // or "forwarded" (RFC 7239)
    int64_t hash_threads = 0;                          // 0: half the loops, at least one
    int64_t hash_queue = 64;  // queued hashing jobs beyond which logins get 503 (~1 s of work)
    int64_t argon2_ops = 2;   // OWASP minimum: t=2, 19 MiB
    int64_t argon2_memory_kib = 19 * 1024;
    std::string log_level = "info";
    std::string legacy_simplejwt_key;  // empty: SimpleJWT tokens from Django are refused
    int64_t list_max = 10000;          // most items a list answers without a limit
    std::string io = "auto";           // auto | io_uring | epoll: the loops' kernel interface
    // createsuperuser
    std::string cli_username, cli_email;
    // import-django FILE [--dry-run] [--staff-as-agent]
    std::string import_file;
    bool import_dry_run = false, import_staff_as_agent = false;
};

// Parses the environment and argv. Returns an error message on bad input.
std::optional<std::string> load_config(int argc, char** argv, char** envp, Config& out);
std::string usage();

}  // namespace authd::tools
