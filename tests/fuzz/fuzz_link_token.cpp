// Fuzz target: mailed-link tokens and uidb64 decoding on arbitrary text; a decoded uid must
// re-encode to the same text (strict inverse), and a freshly made token must check out.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "auth/link_token.hpp"

using namespace authd::auth;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const LinkTokens tokens("fuzz-secret-key-that-is-at-least-32-chars", 3600);
    std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto id = uidb64_decode(text)) {
        if (*id <= 0 || uidb64_encode(*id) != text) std::abort();
    }
    size_t cut = text.find('/');
    std::string_view state = cut == std::string_view::npos ? "" : text.substr(0, cut);
    std::string_view token = cut == std::string_view::npos ? text : text.substr(cut + 1);
    for (LinkPurpose p : {LinkPurpose::verify_email, LinkPurpose::reset_password}) {
        (void)tokens.check(p, 7, state, token, 1700000000);
    }
    std::string real = tokens.make(LinkPurpose::reset_password, 7, state, 1700000000);
    if (!tokens.check(LinkPurpose::reset_password, 7, state, real, 1700000000)) std::abort();
    return 0;
}
