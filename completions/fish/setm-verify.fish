# fish completion for setm-verify
complete -c setm-verify -f
complete -c setm-verify -s s -l store -x -a '(__fish_complete_directories (commandline -ct))' -d 'The chain store directory'
complete -c setm-verify -l now -x -d 'Check block times against TIME (UTC) instead of the clock'
complete -c setm-verify -s j -l threads -x -d 'Signature-checking threads (default: every core)'
complete -c setm-verify -l json -d 'Print a machine-readable report on stdout'
complete -c setm-verify -l explain -d 'Narrate the checks of every block on stderr'
complete -c setm-verify -l statement -d 'Print the settlement statement of a chain that verifies'
complete -c setm-verify -l from -x -d 'With --statement: only slots from TIME on'
complete -c setm-verify -l to -x -d 'With --statement: only slots before TIME'
complete -c setm-verify -l format -x -a 'json csv' -d 'With --statement: json (default) or csv'
complete -c setm-verify -l has-record -x -d 'Print the block that holds the record ID; no replay'
complete -c setm-verify -s h -l help -d 'Show help'
complete -c setm-verify -l version -d 'Show version'
