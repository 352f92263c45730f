// NFKC and the invisible-character classes, from ICU (Debian libicu-dev).
#include "auth/username_text.hpp"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include <vector>

namespace authd::auth {

std::string normalize_username(std::string_view name) {
    if (name.size() > 4096) return std::string(name);  // far beyond the length limit anyway
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2* nfkc = unorm2_getNFKCInstance(&err);
    if (U_FAILURE(err)) return std::string(name);
    std::vector<UChar> in(name.size() + 1), out(name.size() * 4 + 16);
    int32_t in_len = 0;
    u_strFromUTF8(in.data(), static_cast<int32_t>(in.size()), &in_len, name.data(),
                  static_cast<int32_t>(name.size()), &err);
    if (U_FAILURE(err)) return std::string(name);
    int32_t out_len = unorm2_normalize(nfkc, in.data(), in_len, out.data(),
                                       static_cast<int32_t>(out.size()), &err);
    if (U_FAILURE(err)) return std::string(name);
    std::string result(static_cast<size_t>(out_len) * 3 + 1, '\0');
    int32_t bytes = 0;
    u_strToUTF8(result.data(), static_cast<int32_t>(result.size()), &bytes, out.data(), out_len,
                &err);
    if (U_FAILURE(err)) return std::string(name);
    result.resize(static_cast<size_t>(bytes));
    return result;
}

bool is_invisible_in_username(char32_t cp) {
    switch (cp) {
        case 0x115F:  // HANGUL CHOSEONG FILLER
        case 0x1160:  // HANGUL JUNGSEONG FILLER
        case 0x3164:  // HANGUL FILLER
        case 0xFFA0:  // HALFWIDTH HANGUL FILLER
        case 0x2800:  // BRAILLE PATTERN BLANK
            return true;
        default:
            break;
    }
    switch (u_charType(static_cast<UChar32>(cp))) {
        case U_FORMAT_CHAR:
        case U_CONTROL_CHAR:
        case U_PRIVATE_USE_CHAR:
        case U_UNASSIGNED:
        case U_LINE_SEPARATOR:
        case U_PARAGRAPH_SEPARATOR:
            return true;
        default:
            return false;
    }
}

}  // namespace authd::auth
