// Fuzz target: the HTTP Exchange fed arbitrary bytes in arbitrary splits. The first input
// byte chooses the split lengths; the invariants are checked after every step.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tests/unit/exchange_driver.hpp"

using namespace authd::http;
using namespace authd::http::testing_exchange;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

// Counts the request heads the client could have sent: answers never outnumber them.
size_t answers_in(std::string_view out) {
    size_t n = 0;
    for (size_t p = out.find("HTTP/1.1 "); p != std::string_view::npos;
         p = out.find("HTTP/1.1 ", p + 1)) {
        if (p == 0 || out.substr(p - 2, 2) == "\r\n" || out.substr(p - 1, 1) == "}") ++n;
    }
    return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    unsigned split_seed = data[0];
    std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    ExchangeDriver d;
    std::string out;
    size_t pos = 0, step = 0;
    while (pos < input.size()) {
        size_t len = 1 + ((split_seed * 31 + step * 7) % 97);
        std::string_view piece = input.substr(pos, len);
        pos += piece.size();
        ++step;
        d.feed(piece);
        check(d.exchange().unsent() <= output_limit + 64 * 1024 + 4096);  // bounded output
        if (step % 3 == 0) d.release_async();
        if (split_seed & 1) out += d.drain();  // an odd seed reads as it goes, even at the end
    }
    d.exchange().end_of_input();
    d.release_async();
    out += d.drain();
    d.release_async();
    out += d.drain();
    // Never more answers than request lines sent (each needs at least "X / HTTP/1.1\r\n").
    size_t lines = 0;
    for (char c : input) lines += c == '\n';
    check(answers_in(out) <= lines + 1);
    check(!d.exchange().handler_running());
    return 0;
}
