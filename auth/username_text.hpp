// Usernames as Django stores them: NFKC-normalised (normalize_username), so that look-alikes
// such as "ｊｏｈｎ" are "john"; and the invisible characters no username may hold.
#pragma once
#include <string>
#include <string_view>

namespace authd::auth {

// NFKC of `name` (ICU). Malformed UTF-8 is returned unchanged (the validator refuses it).
std::string normalize_username(std::string_view name);

// Format, control, private-use, unassigned, line/paragraph separator characters (Unicode
// Cf, Cc, Co, Cn, Zl, Zp) and the blank "fillers" (U+115F, U+1160, U+3164, U+FFA0, U+2800):
// characters that render as nothing or look like a space.
bool is_invisible_in_username(char32_t cp);

}  // namespace authd::auth
