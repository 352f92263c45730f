// The JSON shapes of a user (auth-v2-api.md): profile, detail (profile + status fields) and
// list item. Timestamps are RFC 3339 UTC with microseconds, as DRF renders them.
#pragma once
#include <cstdint>
#include <string>

#include "http/json_writer.hpp"
#include "store/types.hpp"

namespace authd::auth {

std::string rfc3339(int64_t micros);

void write_profile_fields(http::JsonWriter& w, const store::User& u);
std::string profile_json(const store::User& u);
// Profile plus is_active, email_verified, last_login.
std::string detail_json(const store::User& u);
void write_list_item(http::JsonWriter& w, const store::User& u);

}  // namespace authd::auth
