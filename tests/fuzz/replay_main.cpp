// replay_main.cpp - runs a fuzz target over files, without libFuzzer.
//
// In the normal build every fuzz target is linked with this main, and CTest
// replays each corpus in testdata/fuzz/<target>/ through it (as Bitcoin Core
// replays its qa-assets): an input that once crashed stays a regression test.
//
//   fuzz_TARGET FILE_OR_DIR...    every regular file, directories in name order
//
// Exit 0 when every input ran; 1 when an argument cannot be read or no input
// was found (an empty corpus would make the test pass without testing).
// A crash or a failed invariant aborts, naming the input on stderr first.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz.hpp"

namespace {

namespace fs = std::filesystem;

bool replay_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "replay: cannot read %s\n", p.c_str());
        return false;
    }
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    std::fprintf(stderr, "replay: %s (%zu bytes)\n", p.c_str(), bytes.size());
    // A copy of exactly `size` bytes, so that ASan sees a read past the end;
    // never a null pointer, like libFuzzer.
    std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
    static std::uint8_t empty = 0;
    LLVMFuzzerTestOneInput(data.empty() ? &empty : data.data(), data.size());
    return true;
}

std::vector<fs::path> inputs_of(const fs::path& arg, bool& ok) {
    std::error_code ec;
    if (fs::is_regular_file(arg, ec)) return {arg};
    if (!fs::is_directory(arg, ec)) {
        std::fprintf(stderr, "replay: no such file or directory: %s\n", arg.c_str());
        ok = false;
        return {};
    }
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(arg, ec))
        if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

} // namespace

int main(int argc, char** argv) {
    bool ok = true;
    std::size_t count = 0;
    for (int i = 1; i < argc; ++i) {
        for (const auto& p : inputs_of(argv[i], ok)) {
            if (!replay_file(p))
                ok = false;
            else
                ++count;
        }
    }
    std::fprintf(stderr, "replay: %zu inputs ran\n", count);
    if (count == 0) {
        std::fprintf(stderr, "replay: no inputs (usage: %s FILE_OR_DIR...)\n",
                     argc > 0 ? argv[0] : "replay");
        return 1;
    }
    return ok ? 0 : 1;
}
