# bash completion for quire. The command and option names come from quire
# itself (`quire help --commands`, `quire help --options CMD`), which reads
# them from the same table as --help, so this file never needs editing when
# a command or an option is added.
_quire() {
  local cur=${COMP_WORDS[COMP_CWORD]} words
  if [ "$COMP_CWORD" -eq 1 ]; then
    words="$(quire help --commands 2>/dev/null) --help --version"
    mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
    return
  fi
  local cmd=${COMP_WORDS[1]}
  if [ "$cmd" = help ]; then
    mapfile -t COMPREPLY < <(compgen -W "$(quire help --commands 2>/dev/null)" -- "$cur")
  elif [[ "$cur" == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(quire help --options "$cmd" 2>/dev/null)" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
}
complete -o filenames -F _quire quire
