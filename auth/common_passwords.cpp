// Inflates the gzip-compressed common-password list embedded by common_passwords_data.S
// into a hash set built once.
#include "auth/common_passwords.hpp"

#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_set>

extern "C" {
extern const unsigned char authd_common_passwords_gz[];
extern const unsigned char authd_common_passwords_gz_end[];
}

namespace authd::auth {

namespace {

// The inflated text stays alive; the set holds views of its lines.
struct CommonPasswordSet {
    std::string text;
    std::unordered_set<std::string_view> entries;
};

// The list is part of the binary, so a failure here is a build defect, not a runtime
// condition: stop loudly rather than silently accept every password.
[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "authd: embedded common-password list is corrupt: %s\n", what);
    std::abort();
}

std::string inflate_embedded() {
    const std::size_t in_size =
        static_cast<std::size_t>(authd_common_passwords_gz_end - authd_common_passwords_gz);
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) die("inflateInit2");  // 16: gzip wrapper
    zs.next_in = const_cast<Bytef*>(authd_common_passwords_gz);
    zs.avail_in = static_cast<uInt>(in_size);
    std::string out;
    int rc = Z_OK;
    while (rc == Z_OK) {
        const std::size_t old = out.size();
        out.resize(old + 256 * 1024);
        zs.next_out = reinterpret_cast<Bytef*>(out.data() + old);
        zs.avail_out = static_cast<uInt>(out.size() - old);
        rc = inflate(&zs, Z_NO_FLUSH);
        out.resize(out.size() - zs.avail_out);
    }
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) die(zs.msg ? zs.msg : "truncated");
    return out;
}

bool is_ascii_space(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
}

CommonPasswordSet build() {
    CommonPasswordSet set;
    set.text = inflate_embedded();
    set.entries.reserve(48 * 1024);
    const std::string_view text(set.text);
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        // Django strips each line too.
        while (!line.empty() && is_ascii_space(line.front())) line.remove_prefix(1);
        while (!line.empty() && is_ascii_space(line.back())) line.remove_suffix(1);
        if (!line.empty()) set.entries.insert(line);
        start = end + 1;
    }
    return set;
}

const CommonPasswordSet& instance() {
    static const CommonPasswordSet set = build();
    return set;
}

}  // namespace

bool is_common_password(std::string_view lower_stripped) {
    return instance().entries.contains(lower_stripped);
}

std::size_t common_password_count() {
    return instance().entries.size();
}

}  // namespace authd::auth
