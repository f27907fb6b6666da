// setm-keygen - create a participant's key, or show the identity of one.
#include <cstdlib>
#include <iostream>

#include "keyfile.hpp"
#include "tool.hpp"

using namespace setm;

namespace {

struct Options {
    std::string out;
    std::string show;
    std::string name;
    std::string seed_hex;
    std::optional<std::string> passphrase_file;
};

Result<SecretKey> make_key(const Options& o) {
    if (o.seed_hex.empty()) return generate_key(o.name);
    auto seed = from_hex_fixed<32>(o.seed_hex);
    if (!seed) return make_error(Exit::usage, "bad --seed", seed.error().detail);
    return key_from_seed(seed.value(), o.name);
}

Status create(const Options& o) {
    SETM_TRY(auto pass, load_passphrase(o.passphrase_file, std::getenv("SETM_PASSPHRASE")));
    SETM_TRY(SecretKey key, make_key(o));
    SETM_CHECK(write_key_file(o.out, key, pass));
    SETM_CHECK(tool::print(to_json(identity_of(key)) + "\n"));
    if (tool::person_watching())
        std::cerr << "setm-keygen: wrote the secret key to " << o.out
                  << (pass ? " (encrypted, mode 0600)" : " (mode 0600)") << "\n"
                  << "setm-keygen: participant " << participant_hex(key.id())
                  << "; give the identity line above to the authority (setm-auth register)\n";
    return ok_status();
}

Status show(const Options& o) {
    SETM_TRY(auto pass, load_passphrase(o.passphrase_file, std::getenv("SETM_PASSPHRASE")));
    SETM_TRY(SecretKey key, read_key_file(o.show, pass));
    SETM_CHECK(tool::print(to_json(identity_of(key)) + "\n"));
    return ok_status();
}

} // namespace

static int tool_main(int argc, char** argv) {
    CLI::App app{"Create a setm participant key (Ed25519 + X25519) and print its identity.",
                 "setm-keygen"};
    tool::version_flag(app);
    tool::quiet_flag(&app);
    Options o;
    auto* out = app.add_option("-o,--out", o.out,
                               "Write the new secret key to FILE (mode 0600, never overwritten)")
                    ->option_text("FILE");
    auto* show_opt =
        app.add_option("-y,--show", o.show, "Print the identity of an existing key FILE")
            ->option_text("FILE");
    app.add_option("-n,--name", o.name, "Participant name shown in the identity")
        ->option_text("NAME");
    app.add_option("--seed", o.seed_hex,
                   "Derive the key from 32 bytes of HEX (reproducible demos and tests)")
        ->option_text("HEX");
    app.add_option("--passphrase-file", o.passphrase_file,
                   "Encrypt (or open) the key with the passphrase on FILE's first line; "
                   "else SETM_PASSPHRASE if set")
        ->option_text("FILE");
    out->excludes(show_opt);
    app.footer(std::string("Examples:\n"
                           "  setm-keygen --out alice.key --name alice > alice.id.json\n"
                           "  setm-keygen --show alice.key | jq .\n"
                           "  SETM_PASSPHRASE=... setm-keygen --out bob.key --name bob\n\n") +
               tool::exit_codes_footer());
    if (auto rc = tool::parse(app, argc, argv)) return *rc;
    if (o.out.empty() == o.show.empty())
        return tool::fail("setm-keygen",
                          make_error(Exit::usage, "usage", "give --out FILE or --show FILE")
                              .with_hint("see 'setm-keygen --help'"));
    if (!o.show.empty() && (!o.seed_hex.empty() || !o.name.empty()))
        return tool::fail("setm-keygen",
                          make_error(Exit::usage, "usage", "--show takes no --seed or --name"));
    return tool::finish("setm-keygen", o.show.empty() ? create(o) : show(o));
}

int main(int argc, char** argv) {
    return setm::tool::run("setm-keygen", [&] { return tool_main(argc, argv); });
}
