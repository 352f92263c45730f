// The `serve` and `createsuperuser` commands: open the store, wire the services, run the
// loops until SIGTERM/SIGINT, drain, flush, exit.
#pragma once
#include "tools/config.hpp"

namespace authd::tools {

int run_server(const Config& config);
int run_createsuperuser(const Config& config);
int run_import_django(const Config& config);  // tools/import_django.cpp

}  // namespace authd::tools
