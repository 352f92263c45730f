// authd entry point: parse the configuration and run the chosen command.
#include <cstdio>

#include "core/io_probe.hpp"
#include "core/log.hpp"
#include "core/loop.hpp"
#include "tools/config.hpp"
#include "tools/server_app.hpp"

int main(int argc, char** argv, char** envp) {
    authd::tools::Config config;
    if (auto err = authd::tools::load_config(argc, argv, envp, config)) {
        bool help = err->starts_with("usage:");
        std::fprintf(help ? stdout : stderr, "%s%s\n", help ? "" : "authd: ", err->c_str());
        return help ? 0 : 2;
    }
    using authd::core::LogLevel;
    authd::core::set_log_level(config.log_level == "debug"   ? LogLevel::debug
                               : config.log_level == "warn"  ? LogLevel::warn
                               : config.log_level == "error" ? LogLevel::error
                                                             : LogLevel::info);
    // Before anything creates a loop (the store, the commands): every loop uses this backend.
    auto io = authd::core::choose_io_backend(config.io);
    if (!io.ok) {
        authd::core::log_error("startup", io.why);
        return 1;
    }
    authd::core::Loop::set_default_backend(io.backend);
    authd::core::log_info("startup", "I/O backend chosen",
                          {{"backend", authd::core::backend_name(io.backend)}, {"why", io.why}});
    if (config.command == "createsuperuser") return authd::tools::run_createsuperuser(config);
    if (config.command == "import-django") return authd::tools::run_import_django(config);
    if (config.command == "keys rotate") return authd::tools::run_keys_rotate(config);
    return authd::tools::run_server(config);
}
