// replica.hpp - several nodes, one chain: replication through NATS
// JetStream (the NATS C client, libnats).
//
// Each node keeps its own LMDB store (store.hpp) and appends a block only
// after validating it there, as when it mines one. The network holds one
// JetStream stream per chain, named from the chain id, whose messages are
// the chain's blocks in order: block H is stream sequence H + 1, its body
// the block's stored bytes (a portable-binary StoredBlock, never JSON),
// with the headers
//   Nats-Msg-Id   the block's hash (display hex): publishing the same
//                 block again is answered as a duplicate, never stored twice
//   Setm-Height   H, in decimal
// A miner publishes with JetStream's expected last sequence H (H + 1 - 1):
// of two miners racing for height H, the stream takes one block and answers
// the other "wrong last sequence" (ErrorKind::tip_moved), so the chain never
// forks. A block is appended to the local store only once the stream has
// acknowledged it; a node that was killed between the two finds it there
// when it next syncs.
//
// Errors: the network unreachable or without a JetStream quorum within the
// timeout is Exit::busy "network unavailable" (try again); a chain the
// network does not hold is Exit::io "no such chain"; a block on the stream
// that does not verify is Exit::verify_failed naming it, and nothing from
// it is appended.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "miner.hpp"
#include "store.hpp"

namespace setm::replica {

struct Options {
    std::string urls;                // "nats://host:4222[,nats://host2:4222...]"
    std::int64_t timeout_ms = 20000; // the most any one step waits for the network
};

// Names of a chain on the network.
std::string stream_name(const Hash32& chain); // "SETM-<chain id>"
std::string subject(const Hash32& chain);     // "setm.<chain id>.blocks"

// A block as it travels: the bytes the store keeps for it (StoredBlock).
Bytes block_bytes(const Block& b);
// Decodes bytes received from the network (bounded: a forged length is
// refused, not allocated). Exit::verify_failed "bad block bytes".
Result<Block> parse_block_bytes(const std::uint8_t* p, std::size_t n);

// One message read from a chain's stream.
struct Message {
    std::uint64_t sequence = 0;
    std::uint64_t pending = 0; // messages after this one, as the server said
    Bytes data;
    std::string height; // the Setm-Height header ("" when absent)
};

// A connection to the network and its JetStream context.
class Link {
public:
    // Connects to the first reachable server of o.urls.
    static Result<Link> connect(const Options& o);
    Link(Link&&) noexcept;
    Link& operator=(Link&&) noexcept;
    ~Link();

    // Creates the chain's stream (file storage, on up to three servers,
    // messages up to the servers' max payload); an identical stream that
    // exists already is fine. Returns the replica count it got.
    Result<int> create_stream(const Hash32& chain);
    // The stream's last sequence (0: empty).
    Result<std::uint64_t> last_sequence(const Hash32& chain);
    // One message by sequence.
    Result<Message> get(const Hash32& chain, std::uint64_t sequence);
    // Publishes block `height` only if the stream's last sequence is
    // `height` (its parent's). ErrorKind::tip_moved when another block got
    // there first.
    Status publish(const Hash32& chain, const Block& b, std::uint64_t height);
    // The largest block the servers carry, in bytes.
    std::int64_t max_payload() const;

    // Reads the stream in order from `first`, calling fn for each message.
    // fn returns false to stop. While nothing arrives, idle() is called
    // every 200 ms; it returns false to stop (follow mode), or an error.
    using OnMessage = std::function<Result<bool>(const Message&)>;
    using OnIdle = std::function<Result<bool>()>;
    Status read(const Hash32& chain, std::uint64_t first, const OnMessage& fn, const OnIdle& idle);

    const Options& options() const { return o_; }
    struct Handles;

private:
    Link() = default;
    std::unique_ptr<Handles> h_;
    Options o_;
};

// ---- what the tools do with a link ----------------------------------------------

struct SyncReport {
    std::uint64_t from = 0;     // the store's tip before
    std::uint64_t height = 0;   // and after
    std::uint64_t appended = 0; // blocks added
    Hash32 tip{};
};

struct SyncOptions {
    std::int64_t now = 0; // block times are checked against it (+2 h)
    unsigned threads = 1;
    bool follow = false;                                // keep going until stop()
    std::function<bool()> stop;                         // follow: true ends it
    std::function<Status(const SyncReport&)> committed; // after each commit that added
};

// Brings `store` up to the stream's tip: every block fully validated (proof
// of work, link, time, signatures, credentials, every record rule) before
// it is appended, in batches of one write transaction each. The first
// block that does not verify stops it (Exit::verify_failed, "block H: ..."),
// after the good ones before it are committed. With follow, goes on
// waiting for new blocks until opts.stop() says so.
Result<SyncReport> sync(Link& link, Store& store, const SyncOptions& opts);

// A new node: fetches the genesis block of `chain` from the network, checks
// it (its hash must be the chain id) and creates the store in `dir` (or
// fills the empty LMDB environment a join killed before its first commit
// left there: Store::create's adopt_empty).
Result<Store> join(Link& link, const std::string& dir, const Hash32& chain);

// setm-auth init --nats: creates the stream and publishes the genesis.
Result<int> publish_genesis(Link& link, const Block& genesis);

// setm-mine --nats: hooks AppendOptions so that a mined block is published
// before it is appended, and a lost race catches up from the stream before
// mining again. The link and store must outlive the options.
void replicate(AppendOptions& ao, Link& link, Store& store, std::int64_t now);

// Each block of these records must fit in one message of max_payload
// bytes: Exit::bad_input "block too large for the network" otherwise
// (checked before mining). `ends` cuts the records into blocks, as
// split_points does for setm-mine --split; empty: one block of them all.
Status check_fits(std::int64_t max_payload, const std::vector<Record>& records,
                  const std::vector<std::size_t>& ends);
// The same against the servers' max_payload.
Status check_fits(const Link& link, const std::vector<Record>& records,
                  const std::vector<std::size_t>& ends);

// The tools' --nats for a store they read: connects, brings the store up
// to the network's tip, and disconnects.
Result<SyncReport> catch_up(const Options& o, const std::string& dir, std::int64_t now,
                            unsigned threads);

} // namespace setm::replica
