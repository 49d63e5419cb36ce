from roistudio.cli.main import main

raise SystemExit(main())
