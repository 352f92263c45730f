// Fuzz target: the journal record codec on arbitrary bytes (decode → encode → decode is
// stable), and replay of a real journal whose bytes the input corrupts: replay may refuse
// or cut the tail, never crash, and every record it yields decodes or is reported.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "store/journal.hpp"
#include "store/record_codec.hpp"

using namespace authd::store;

namespace {

std::string fuzz_dir() {
    std::string base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
    return base + "/authd-fuzz-journal-" + std::to_string(getpid());
}

// A journal with a few records, made once; each run copies and corrupts it.
const std::string& pristine_journal() {
    static const std::string bytes = [] {
        std::string dir = fuzz_dir() + "-seed";
        std::filesystem::remove_all(dir);
        std::string error, rec;
        {
            auto j = Journal::open(dir, error);
            if (!j) std::abort();
            j->replay([](std::string_view) { return true; }, error);
            encode_user_delete(rec, 42);
            j->append(rec);
            encode_mail_retry(rec, 3, 2, 1234567);
            j->append(rec);
            encode_meta(rec, MetaRecord{5, 9});
            j->append(rec);
            j->sync();
        }
        std::ifstream f(dir + "/journal", std::ios::binary);
        std::string s((std::istreambuf_iterator<char>(f)), {});
        std::filesystem::remove_all(dir);
        return s;
    }();
    return bytes;
}

void replay_corrupted(const uint8_t* data, size_t size) {
    std::string bytes = pristine_journal();
    // Pairs of (position, xor) bytes corrupt the file; a trailing odd byte truncates it.
    for (size_t i = 0; i + 1 < size && i < 64; i += 2) {
        bytes[data[i] % bytes.size()] ^= static_cast<char>(data[i + 1] | 1);
    }
    if (size % 2 == 1) bytes.resize(bytes.size() - data[size - 1] % 16);
    std::string dir = fuzz_dir();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    {
        std::ofstream f(dir + "/journal", std::ios::binary);
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    std::string error;
    if (auto j = Journal::open(dir, error)) {
        j->replay([](std::string_view r) { return decode_record(r).has_value(); }, error);
    }
    std::filesystem::remove_all(dir);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    (void)decode_record(bytes);
    if (size > 0 && data[0] == 0xff) replay_corrupted(data + 1, size - 1);
    return 0;
}
