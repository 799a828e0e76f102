#!/usr/bin/env node
import { createApp } from '../lib/job-schedule-manager-app';

/** `cdk synth -c stage=dev|prod [-c alarmEmail=ops@example.com]` */
createApp().app.synth();
