# fish completion for setm-keygen
complete -c setm-keygen -s o -l out -r -F -d 'Write the new secret key to FILE'
complete -c setm-keygen -s y -l show -r -F -d 'Print the identity of an existing key'
complete -c setm-keygen -s n -l name -x -d 'Participant name'
complete -c setm-keygen -l seed -x -d 'Derive the key from 32 bytes of hex'
complete -c setm-keygen -l passphrase-file -r -F -d 'Passphrase on the first line of FILE'
complete -c setm-keygen -s q -l quiet -d 'No narration or progress on stderr, even on a terminal'
complete -c setm-keygen -s h -l help -d 'Show help'
complete -c setm-keygen -l version -d 'Show version'
