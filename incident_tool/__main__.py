from incident_tool.cli import main

main()
