from targeting.cli import main

raise SystemExit(main())
