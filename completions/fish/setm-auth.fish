# fish completion for setm-auth
set -l subcommands init register revoke rotate tariff check list mutual seal open
set -l keyed init register revoke rotate tariff mutual seal open
set -l timed init register revoke rotate tariff check list mutual seal open
set -l peered mutual seal open

complete -c setm-auth -f
complete -c setm-auth -n "not __fish_seen_subcommand_from $subcommands" -a init -d 'Create a new store and its genesis block'
complete -c setm-auth -n "not __fish_seen_subcommand_from $subcommands" -a register -d 'Admit the participants whose identities are on the input'
complete -c setm-auth -n "not __fish_seen_subcommand_from $subcommands" -a revoke -d 'Print a signed revocation of a credential'
complete -c setm-auth -n "not __fish_seen_subcommand_from $subcommands" -a rotate -d 'Print a signed hand-over of the authority to a new key'
complete -c setm-auth -n "not __fish_seen_subcommand_from $subcommands" -a tariff -d 'Print the signed imbalance price of the metered settlement'
complete -c setm-auth -n "not __fish_seen_subcommand_from $subcommands" -a check -d 'Identify and authenticate signers (Algorithm 1)'
complete -c setm-auth -n "not __fish_seen_subcommand_from $subcommands" -a list -d 'Print the registry at the tip'
complete -c setm-auth -n "not __fish_seen_subcommand_from $subcommands" -a mutual -d 'Print the mutual key shared with a peer'
complete -c setm-auth -n "not __fish_seen_subcommand_from $subcommands" -a seal -d 'Encrypt a short note for a peer'
complete -c setm-auth -n "not __fish_seen_subcommand_from $subcommands" -a open -d 'Decrypt sealed notes from a peer'
complete -c setm-auth -n "not __fish_seen_subcommand_from $subcommands" -l version -d 'Show version'
complete -c setm-auth -s h -l help -d 'Show help'

# every subcommand
complete -c setm-auth -n "__fish_seen_subcommand_from $subcommands" -s s -l store -x -a '(__fish_complete_directories (commandline -ct))' -d 'The chain store directory'
complete -c setm-auth -n "__fish_seen_subcommand_from $subcommands" -l nats -x -d 'The NATS JetStream servers of the chain network (default: $SETM_NATS)'
complete -c setm-auth -n "__fish_seen_subcommand_from $subcommands" -l timeout -x -d 'With --nats: give up on an unavailable network after SECONDS'
# subcommands that load a key
complete -c setm-auth -n "__fish_seen_subcommand_from $keyed" -s k -l key -r -F -d 'Secret key FILE'
complete -c setm-auth -n "__fish_seen_subcommand_from $keyed" -l passphrase-file -r -F -d 'Passphrase of an encrypted key on FILE\'s first line'
complete -c setm-auth -n "__fish_seen_subcommand_from $timed" -l now -x -d 'Use TIME (UTC, 2026-11-25T10:00:00Z) instead of the clock'
complete -c setm-auth -n "__fish_seen_subcommand_from register check open" -s i -l input -r -F -d 'Read from FILE (default - for stdin)'

# init
complete -c setm-auth -n '__fish_seen_subcommand_from init' -l chain-name -x -d 'Name of the chain (default setm)'
complete -c setm-auth -n '__fish_seen_subcommand_from init' -l difficulty -x -d 'Leading zero bits of a block hash (default 16)'
complete -c setm-auth -n '__fish_seen_subcommand_from init' -l slot-minutes -x -a '15 30 60' -d 'Length of a delivery slot (default 30)'
complete -c setm-auth -n '__fish_seen_subcommand_from init' -l max-records -x -d 'Most records in one block (default 10000; 0 = no limit)'
complete -c setm-auth -n '__fish_seen_subcommand_from init' -s m -l mechanism -x -a 'pay-as-clear pay-as-bid negotiate' -d 'The market the chain clears (default pay-as-clear)'
complete -c setm-auth -n '__fish_seen_subcommand_from init' -l rounds -x -d 'Negotiation rounds for negotiate (default 10)'
complete -c setm-auth -n '__fish_seen_subcommand_from init' -l network-fee -x -d 'Fee in EUR/MWh between zones (default 0)'
complete -c setm-auth -n '__fish_seen_subcommand_from init' -l zone-fee -x -d 'Fee from a seller zone to a buyer zone, SELLER:BUYER=EUR/MWh (repeatable)'
complete -c setm-auth -n '__fish_seen_subcommand_from init' -l grid-operator -x -d 'Participant id of the grid operator receiving the fees'
complete -c setm-auth -n '__fish_seen_subcommand_from init' -l gate-minutes -x -d 'A slot\'s book closes N minutes before its auction period (default 0: no gate)'
complete -c setm-auth -n '__fish_seen_subcommand_from init' -l auction-minutes -x -a '0 1440' -d 'Auction period the gate counts from (1440: day-ahead; default 0: each slot)'
complete -c setm-auth -n '__fish_seen_subcommand_from init' -l recovery-key -r -F -d 'Identity of a second key, kept offline, that may hand the authority over'
complete -c setm-auth -n '__fish_seen_subcommand_from init' -l threads -x -d 'Threads mining the genesis block'

# register
complete -c setm-auth -n '__fish_seen_subcommand_from register' -s r -l role -x -a 'producer consumer prosumer agent operator' -d 'A role the credential grants (repeatable)'
complete -c setm-auth -n '__fish_seen_subcommand_from register' -l zone -x -d 'Grid zone of the participant'
complete -c setm-auth -n '__fish_seen_subcommand_from register' -l meter -x -d 'Meter id (one participant per meter)'
complete -c setm-auth -n '__fish_seen_subcommand_from register' -l max-energy -x -d 'Most energy per slot and order (e.g. 5kWh)'
complete -c setm-auth -n '__fish_seen_subcommand_from register' -l valid-from -x -d 'Start of validity (default now)'
complete -c setm-auth -n '__fish_seen_subcommand_from register' -l valid-until -x -d 'End of validity (default --days after the start)'
complete -c setm-auth -n '__fish_seen_subcommand_from register' -l days -x -d 'Days of validity (default 365)'
complete -c setm-auth -n '__fish_seen_subcommand_from register' -l renew -d 'Renew a credential that lasts past the start, ahead of its end'
complete -c setm-auth -n '__fish_seen_subcommand_from register' -l replaces -r -F -d 'Hand over from the old key (participant id, identity file or name)'
complete -c setm-auth -n '__fish_seen_subcommand_from register revoke' -l serial -x -d 'Serial number'

# revoke, rotate
complete -c setm-auth -n '__fish_seen_subcommand_from revoke rotate' -l reason -x -d 'Why, in words'

# rotate
complete -c setm-auth -n '__fish_seen_subcommand_from rotate' -l new-key -r -F -d 'Identity of the new authority key'
complete -c setm-auth -n '__fish_seen_subcommand_from rotate' -l recovery -d 'Emergency: --key is the chain\'s recovery key'
complete -c setm-auth -n '__fish_seen_subcommand_from rotate' -l new-recovery-key -r -F -d 'With --recovery: identity of a new recovery key'

# tariff
complete -c setm-auth -n '__fish_seen_subcommand_from tariff' -l imbalance-price -x -d 'EUR/MWh for energy drawn or delivered beyond the settled trades'
complete -c setm-auth -n '__fish_seen_subcommand_from tariff' -l from -x -d 'The first slot it prices (default --now)'

# mutual, seal, open
complete -c setm-auth -n "__fish_seen_subcommand_from $peered" -s p -l peer -r -F -d 'The other party\'s identity or credential'
complete -c setm-auth -n '__fish_seen_subcommand_from mutual seal' -s c -l context -x -d 'What the key or note is for, e.g. a trade id'
complete -c setm-auth -n '__fish_seen_subcommand_from seal' -l note -x -d 'The note (default: read stdin)'
complete -c setm-auth -n "__fish_seen_subcommand_from $subcommands" -s q -l quiet -d 'No narration or progress on stderr, even on a terminal'
