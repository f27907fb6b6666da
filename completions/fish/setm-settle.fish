# fish completion for setm-settle
complete -c setm-settle -f
complete -c setm-settle -l store -x -a '(__fish_complete_directories (commandline -ct))' -d 'The chain store'
complete -c setm-settle -l key -r -F -d "The market agent's key"
complete -c setm-settle -l passphrase-file -r -F -d 'Passphrase of an encrypted agent key'
complete -c setm-settle -l inbox -x -a '(__fish_complete_directories (commandline -ct))' -d 'Where participants drop order files'
complete -c setm-settle -l state -x -a '(__fish_complete_directories (commandline -ct))' -d 'Working state directory'
complete -c setm-settle -l retries -x -d 'Retries while the store is busy (default 10)'
complete -c setm-settle -l now -x -d 'Use TIME instead of the clock'
complete -c setm-settle -l backup-dir -x -a '(__fish_complete_directories (commandline -ct))' -d 'The first run of each UTC day copies the store to DIR/YYYYMMDD'
complete -c setm-settle -l backup-keep -x -d 'Keep only the N newest dated copies (default 0: all)'
complete -c setm-settle -l restored -d 'The store was restored from an older backup: set the batches it lacks aside'
complete -c setm-settle -s h -l help -d 'Show help'
