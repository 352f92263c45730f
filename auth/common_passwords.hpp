// The embedded list of common passwords (Django's plus zxcvbn's, see auth/data/README.md)
// behind Django's CommonPasswordValidator.
#pragma once

#include <cstddef>
#include <string_view>

namespace authd::auth {

// True when `lower_stripped` (the password lower-cased and stripped of surrounding
// whitespace, as Django compares it) is in the list. The list is inflated into a hash set
// on first use (thread-safe); call common_password_count() at start-up to pay that cost
// (~20 ms) before serving.
bool is_common_password(std::string_view lower_stripped);

// Number of distinct entries in the list.
std::size_t common_password_count();

}  // namespace authd::auth
