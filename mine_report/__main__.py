from mine_report.cli import main

main()
