// Validation of user fields (API.md §2) with Django/DRF's messages. Each validator returns
// the messages for one field, in DRF's order; an empty vector means the value is accepted.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "auth/unicode_text.hpp"  // is_valid_utf8, utf8_length

namespace authd::auth {

inline constexpr std::size_t kUsernameMaxLength = 150;
inline constexpr std::size_t kEmailMaxLength = 254;
inline constexpr std::size_t kNameMaxLength = 150;  // first_name, last_name
inline constexpr std::size_t kAddressMaxLength = 255;

inline constexpr std::string_view kUsernameInvalidMessage =
    "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ "
    "characters.";
inline constexpr std::string_view kEmailInvalidMessage = "Enter a valid email address.";
inline constexpr std::string_view kPhoneInvalidMessage = "Enter a valid phone number.";
inline constexpr std::string_view kControlCharsMessage =
    "This field may not contain control characters.";
inline constexpr std::string_view kInvalidTextMessage = "This field must be valid UTF-8 text.";

// "Ensure this field has no more than N characters." (DRF's max_length message).
std::string max_length_message(std::size_t max);

// Django's UnicodeUsernameValidator (^[\w.@+-]+\Z, \w as approximated by is_word_char)
// then DRF's max_length (150 code points). The caller reports a missing value as
// "This field is required."; an empty string here is simply invalid.
std::vector<std::string> validate_username(std::string_view username);

// At most 254 code points; then the format: exactly one '@'; a non-empty local part that
// is a dot-atom of ASCII atext (quoted local parts are refused); a domain of at least two
// dot-separated labels, none empty, each of letters/digits/hyphens (non-ASCII letters
// allowed, as Django accepts IDNs) not starting or ending with '-', the last one at least
// two characters long; no whitespace or control character (so no CR/LF) anywhere.
// Domain literals ("[1.2.3.4]") and dotless domains ("localhost") are refused.
std::vector<std::string> validate_email(std::string_view email);

// Django's BaseUserManager.normalize_email: strip surrounding whitespace and lower-case
// the part after the last '@'. A value without '@' is returned unchanged.
std::string normalize_email(std::string_view email);

// Free text (first_name, last_name, address): valid UTF-8, no control character (C0, DEL,
// C1), at most `max` code points.
std::vector<std::string> validate_name(std::string_view value, std::size_t max);

// Empty is accepted; otherwise ^\+?[0-9]{8,15}$ (no trailing newline either).
std::vector<std::string> validate_phone(std::string_view phone);

}  // namespace authd::auth
