// vectors.hpp - the published test vectors' generator (testdata/vectors/).
//
// setm_vectors DIR writes keys.json, records.json, blocks.json, merkle.json
// and market.json into DIR with common/'s own functions: nothing here
// re-implements an encoding, a hash or a mechanism. CTest runs it into a
// temporary directory and compares with the committed files byte for byte
// (tests/vectors/compare.sh); tests/vectors/check-vectors.py and
// tests/vectors/check-cli.sh check them independently.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "block_records.hpp"
#include "error.hpp"
#include "json.hpp"
#include "keyfile.hpp"

namespace setm::vectors {

// The published keys by name (keys.json), each from a fixed seed.
using Keys = std::map<std::string, SecretKey>;
Keys published_keys();
std::string keys_json(const Keys& keys);

// The chain of blocks.json: a genesis block and blocks of several records,
// built and validated by the chain's own rules, as the tools would.
struct Chain {
    std::vector<Block> blocks;
    std::vector<std::string> notes; // one per block: what it shows
};
Result<Chain> build_chain(const Keys& keys);

// Every record of the chain and the identities of the keys, with their
// fields, canonical bytes (and their layout field by field), id and
// signature. Fails when a kind of record has no vector.
Result<std::string> records_json(const Keys& keys, const Chain& chain);
std::string blocks_json(const Chain& chain);
std::string merkle_json();

// Books and the trades each mechanism must make of them.
Result<std::string> market_json(const Keys& keys);

// The file's text: compact JSON re-indented by two spaces, keys in the order
// written, and a final newline.
Result<std::string> pretty(const std::string& compact);

} // namespace setm::vectors
