// The route table of both API surfaces, and the background work the auth layer runs
// (mail outbox, pruning of expired revocations).
#pragma once
#include <optional>
#include <string>

#include "core/loop.hpp"
#include "http/router.hpp"

namespace authd::auth {

struct Services;

void register_routes(http::Router& router);

// Checks the mail settings; an error message when AUTHD_SMTP_URL/AUTHD_EMAIL_FROM are unusable.
std::optional<std::string> check_mail_settings(const std::string& smtp_url,
                                               const std::string& from);
// Starts the mail outbox on `home` and a prune timer on every loop. Call once the loops run.
void start_background_work(Services& s, core::Loop& home, const std::string& smtp_url,
                           const std::string& from);
// Stops the outbox (before the loops stop) and frees what start_background_work made.
void stop_background_work(Services& s);

}  // namespace authd::auth
