// setm_vectors DIR - writes the published test vectors (testdata/vectors/).
//
// Regenerate the committed files after a deliberate format change with
//     build/tests/setm_vectors testdata/vectors
// and say in the commit why the bytes changed: another implementation that
// checked itself against the old vectors no longer agrees with setm.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include <rapidjson/prettywriter.h>

#include "vectors.hpp"

namespace setm::vectors {

Result<std::string> pretty(const std::string& compact) {
    rapidjson::Document d;
    d.Parse<rapidjson::kParseValidateEncodingFlag>(compact.data(), compact.size());
    if (d.HasParseError())
        return make_error(Exit::internal, "bad vectors JSON",
                          "offset " + std::to_string(d.GetErrorOffset()));
    rapidjson::StringBuffer buf;
    rapidjson::PrettyWriter<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                            rapidjson::CrtAllocator, rapidjson::kWriteNoFlags>
        w(buf);
    w.SetIndent(' ', 2);
    d.Accept(w);
    return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

} // namespace setm::vectors

namespace {

using namespace setm;

Status write_file(const std::string& dir, const std::string& name, const std::string& compact) {
    SETM_TRY(std::string text, vectors::pretty(compact));
    const std::string path = dir + "/" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) return make_error(Exit::io, "write error", path);
    return ok_status();
}

Status run(const std::string& dir) {
    const vectors::Keys keys = vectors::published_keys();
    SETM_TRY(vectors::Chain chain, vectors::build_chain(keys));
    SETM_TRY(std::string records, vectors::records_json(keys, chain));
    SETM_TRY(std::string market, vectors::market_json(keys));
    SETM_CHECK(write_file(dir, "keys.json", vectors::keys_json(keys)));
    SETM_CHECK(write_file(dir, "records.json", records));
    SETM_CHECK(write_file(dir, "blocks.json", vectors::blocks_json(chain)));
    SETM_CHECK(write_file(dir, "merkle.json", vectors::merkle_json()));
    SETM_CHECK(write_file(dir, "market.json", market));
    return ok_status();
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: setm_vectors DIR  (writes the test vectors into DIR)\n";
        return 64;
    }
    const Status s = run(argv[1]);
    if (!s) {
        std::cerr << "setm_vectors: error: " << s.error().message() << "\n";
        return 70;
    }
    return 0;
}
