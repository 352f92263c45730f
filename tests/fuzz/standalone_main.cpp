// A libFuzzer-compatible main for compilers without -fsanitize=fuzzer (the GCC trees): runs
// every seed file, then `-runs=N` inputs mutated from them with a fixed seed (no coverage
// guidance; the real fuzzing is bench/fuzz.sh with clang). Accepts libFuzzer's -flag=value
// arguments and ignores the ones it does not know.
#include <dirent.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void load(const std::string& path, std::vector<std::string>& seeds) {
    if (DIR* d = opendir(path.c_str())) {
        while (dirent* e = readdir(d)) {
            if (e->d_name[0] != '.') load(path + "/" + e->d_name, seeds);
        }
        closedir(d);
        return;
    }
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    seeds.push_back(s.str());
}

std::string mutate(const std::vector<std::string>& seeds, std::mt19937_64& rng) {
    std::string s = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < edits; ++i) {
        size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
        switch (rng() % 5) {
            case 0:  // flip a byte
                if (!s.empty()) s[pos % s.size()] = static_cast<char>(rng());
                break;
            case 1:  // insert a byte
                s.insert(pos, 1, static_cast<char>(rng()));
                break;
            case 2:  // erase a run
                if (!s.empty()) s.erase(pos % s.size(), 1 + rng() % 16);
                break;
            case 3: {  // splice in part of another seed
                const std::string& o = seeds[rng() % seeds.size()];
                if (!o.empty()) s.insert(pos, o.substr(rng() % o.size(), 1 + rng() % 64));
                break;
            }
            default:  // duplicate a run
                if (!s.empty()) s.insert(pos, s.substr(pos % s.size(), 1 + rng() % 32));
        }
        if (s.size() > 1 << 16) s.resize(1 << 16);
    }
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    long runs = 10000;
    std::vector<std::string> seeds;
    for (int i = 1; i < argc; ++i) {
        if (std::strncmp(argv[i], "-runs=", 6) == 0) {
            runs = std::atol(argv[i] + 6);
        } else if (argv[i][0] != '-') {
            load(argv[i], seeds);
        }
    }
    if (seeds.empty()) seeds.emplace_back();
    for (const std::string& s : seeds) {
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    }
    std::mt19937_64 rng(0x5eed);
    for (long i = 0; i < runs; ++i) {
        std::string s = mutate(seeds, rng);
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    }
    std::printf("standalone fuzz driver: %zu seeds, %ld mutated runs, no crash\n", seeds.size(),
                runs);
    return 0;
}
