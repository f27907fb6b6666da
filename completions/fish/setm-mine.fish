# fish completion for setm-mine
complete -c setm-mine -f
complete -c setm-mine -s s -l store -x -a '(__fish_complete_directories (commandline -ct))' -d 'The chain store directory'
complete -c setm-mine -s i -l input -r -F -d 'Records to mine (default - for stdin)'
complete -c setm-mine -s j -l threads -x -d 'Mining threads (default: every core)'
complete -c setm-mine -l now -x -d 'Use TIME (UTC, 2026-11-25T10:00:00Z) instead of the clock'
complete -c setm-mine -l no-retry -d 'Exit 75 instead of mining again if another miner appends first'
complete -c setm-mine -l split -d 'Mine as many blocks as the chain\'s max_records needs'
complete -c setm-mine -l summary -d 'Print each block without its records'
complete -c setm-mine -l nats -x -d 'The NATS JetStream servers of the chain network (default: $SETM_NATS)'
complete -c setm-mine -l timeout -x -d 'With --nats: give up on an unavailable network after SECONDS'
complete -c setm-mine -s q -l quiet -d 'No narration or progress on stderr, even on a terminal'
complete -c setm-mine -s h -l help -d 'Show help'
complete -c setm-mine -l version -d 'Show version'
