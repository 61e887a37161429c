#compdef gkh

_gkh_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _GKH_COMPLETE=complete_zsh gkh)
}

compdef _gkh_completion gkh
