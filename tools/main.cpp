// authd entry point: parse the configuration and run the chosen command.
#include <cstdio>

#include "core/log.hpp"
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
    if (config.command == "createsuperuser") return authd::tools::run_createsuperuser(config);
    if (config.command == "keys rotate") return authd::tools::run_keys_rotate(config);
    return authd::tools::run_server(config);
}
