#include <catch2/catch.hpp>

#include <algorithm>

#include "bytes.hpp"
#include "crypto.hpp"
#include "merkle.hpp"

using namespace setm;

namespace {

Bytes unhex(const char* s) { return from_hex(s).value(); }

Hash32 id_of(std::uint8_t tag) {
    Hash32 h{};
    h.fill(tag);
    return h;
}

} // namespace

// Certificate Transparency's reference leaves and the tree head of the first
// n of them, n = 0..8 (RFC 6962; certificate-transparency and
// transparency-dev/merkle test data), re-derived here with Python's hashlib.
TEST_CASE("merkle: RFC 6962 reference vectors") {
    const std::vector<Bytes> leaves = {
        unhex(""),
        unhex("00"),
        unhex("10"),
        unhex("2021"),
        unhex("3031"),
        unhex("40414243"),
        unhex("5051525354555657"),
        unhex("606162636465666768696a6b6c6d6e6f"),
    };
    const char* const roots[] = {
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    };
    for (std::size_t n = 0; n <= leaves.size(); ++n) {
        INFO("n = " << n);
        const std::vector<Bytes> first(leaves.begin(), leaves.begin() + static_cast<long>(n));
        // Roots are raw SHA-256 output: plain hex, not Bitcoin's reversed display.
        CHECK(to_hex(merkle_root_of_data(first)) == roots[n]);
    }
}

TEST_CASE("merkle: the empty tree is SHA-256 of the empty string") {
    const std::uint8_t none = 0;
    CHECK(merkle_root({}) == sha256(&none, 0));
    CHECK(merkle_root_of_data({}) == merkle_root({}));
}

TEST_CASE("merkle: record ids go through the same core as leaf data") {
    std::vector<Hash32> ids;
    std::vector<Bytes> data;
    for (std::uint8_t i = 0; i < 13; ++i) {
        ids.push_back(id_of(i));
        data.emplace_back(ids.back().begin(), ids.back().end());
        CHECK(merkle_root(ids) == merkle_root_of_data(data));
    }
    // One id: the root is its leaf hash SHA-256(0x00 || id), not the id.
    Bytes prefixed(33, 0x00);
    std::copy(ids[0].begin(), ids[0].end(), prefixed.begin() + 1);
    CHECK(merkle_root({ids[0]}) == sha256(prefixed));
    CHECK(merkle_root({ids[0]}) != ids[0]);
}

TEST_CASE("merkle: odd nodes are promoted, not duplicated (CVE-2012-2459 shape)") {
    const Hash32 a = id_of(1), b = id_of(2), c = id_of(3);
    CHECK(merkle_root({a, b, c}) != merkle_root({a, b, c, c}));
    CHECK(merkle_root({a, b, c, c}) != merkle_root({a, b, c, c, c, c}));
    // The split is the largest power of two below n: [a,b,c] = node(node(a,b), c).
    const auto leaf = [](const Hash32& x) { return merkle_leaf_hash(x.data(), x.size()); };
    CHECK(merkle_root({a, b, c}) == merkle_node_hash(merkle_node_hash(leaf(a), leaf(b)), leaf(c)));
    // and for 5: node(node(node(a,b),node(c,d)), e), not split 3 + 2.
    const Hash32 d = id_of(4), e = id_of(5);
    CHECK(merkle_root({a, b, c, d, e}) ==
          merkle_node_hash(merkle_node_hash(merkle_node_hash(leaf(a), leaf(b)),
                                            merkle_node_hash(leaf(c), leaf(d))),
                           leaf(e)));
    // Order matters.
    CHECK(merkle_root({a, b}) != merkle_root({b, a}));
}

TEST_CASE("merkle: leaf and node prefixes keep a node from passing as a leaf") {
    const Bytes x = unhex("2021"), y = unhex("3031");
    // Without domain separation, the root of [x, y] would be H(H(x) || H(y)),
    // the root of one leaf holding H(x) || H(y). With RFC 6962's prefixes the
    // two-leaf root is not the one-leaf root of the concatenated leaf hashes...
    const Hash32 lx = merkle_leaf_hash(x.data(), x.size());
    const Hash32 ly = merkle_leaf_hash(y.data(), y.size());
    Bytes concat_hashes(lx.begin(), lx.end());
    concat_hashes.insert(concat_hashes.end(), ly.begin(), ly.end());
    CHECK(merkle_root_of_data({x, y}) != merkle_root_of_data({concat_hashes}));
    // ...nor of the concatenated data itself.
    Bytes concat_data(x);
    concat_data.insert(concat_data.end(), y.begin(), y.end());
    CHECK(merkle_root_of_data({x, y}) != merkle_root_of_data({concat_data}));
    // Same for 32-byte ids: two ids vs. one 64-byte leaf made of them.
    const Hash32 a = id_of(7), b = id_of(8);
    Bytes ab(a.begin(), a.end());
    ab.insert(ab.end(), b.begin(), b.end());
    CHECK(merkle_root({a, b}) != merkle_root_of_data({ab}));
}

TEST_CASE("merkle: has_duplicate") {
    CHECK_FALSE(has_duplicate({}));
    CHECK_FALSE(has_duplicate({id_of(1)}));
    CHECK_FALSE(has_duplicate({id_of(1), id_of(2), id_of(3)}));
    CHECK(has_duplicate({id_of(1), id_of(2), id_of(1)}));
    CHECK(has_duplicate({id_of(3), id_of(3)}));
    Hash32 near = id_of(3);
    near[31] = 4; // differs in the last byte only
    CHECK_FALSE(has_duplicate({id_of(3), near}));
}
