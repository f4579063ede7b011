//! Scenarios that run at the same time still report in the suite's order. The events of the
//! scenario whose turn it is go straight to the listener; a later scenario's events wait until
//! every scenario before it has finished. A listener therefore sees exactly the sequence of a
//! sequential run, and a terminal report never interleaves two scenarios.

use super::Listener;
use super::result::{ScenarioResult, StepResult};
use crate::scenario::model::Scenario;

pub struct InOrder<'a> {
    listener: &'a mut dyn Listener,
    scenarios: &'a [Scenario],
    /// The scenario whose events go straight through.
    current: usize,
    /// Per scenario, what it reported before its turn came.
    held: Vec<Vec<Event>>,
}

enum Event {
    Started,
    Step(Box<StepResult>),
    Finished(ScenarioResult),
}

impl<'a> InOrder<'a> {
    pub fn new(listener: &'a mut dyn Listener, scenarios: &'a [Scenario]) -> Self {
        InOrder {
            listener,
            scenarios,
            current: 0,
            held: scenarios.iter().map(|_| Vec::new()).collect(),
        }
    }

    pub fn started(&mut self, index: usize) {
        if index == self.current {
            self.listener.scenario_started(&self.scenarios[index]);
        } else {
            self.hold(index, Event::Started);
        }
    }

    pub fn step_finished(&mut self, index: usize, step: &StepResult) {
        if index == self.current {
            self.listener.step_finished(&self.scenarios[index], step);
        } else {
            self.hold(index, Event::Step(Box::new(step.clone())));
        }
    }

    pub fn finished(&mut self, index: usize, result: &ScenarioResult) {
        if index != self.current {
            self.hold(index, Event::Finished(result.clone()));
            return;
        }
        self.listener.scenario_finished(result);
        self.current += 1;
        self.release_held();
    }

    fn hold(&mut self, index: usize, event: Event) {
        if let Some(events) = self.held.get_mut(index) {
            events.push(event);
        }
    }

    /// Replays what the scenarios whose turn has now come reported while they waited; each one
    /// that had already finished hands the turn on.
    fn release_held(&mut self) {
        while let Some(events) = self.held.get_mut(self.current) {
            let events = std::mem::take(events);
            let scenario = &self.scenarios[self.current];
            let mut finished = false;
            for event in events {
                match event {
                    Event::Started => self.listener.scenario_started(scenario),
                    Event::Step(step) => self.listener.step_finished(scenario, &step),
                    Event::Finished(result) => {
                        self.listener.scenario_finished(&result);
                        finished = true;
                    }
                }
            }
            if !finished {
                return;
            }
            self.current += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::result::StepStatus;
    use crate::scenario::load::{LoadOptions, load_str};
    use crate::scenario::model::Location;

    #[derive(Default)]
    struct Recorder(Vec<String>);

    impl Listener for Recorder {
        fn scenario_started(&mut self, scenario: &Scenario) {
            self.0.push(format!("start {}", scenario.name));
        }
        fn step_finished(&mut self, scenario: &Scenario, step: &StepResult) {
            self.0.push(format!("step {} {}", scenario.name, step.name));
        }
        fn scenario_finished(&mut self, result: &ScenarioResult) {
            self.0.push(format!("end {}", result.name));
        }
    }

    fn scenario(name: &str) -> Scenario {
        let text = format!(
            "name: {name}\ntitle: T\nsteps:\n  - name: s\n    title: S\n    request: {{method: GET, path: /Users}}\n"
        );
        load_str("test.yaml", &text, &LoadOptions::default()).expect("valid scenario")
    }

    fn step(name: &str) -> StepResult {
        StepResult {
            index: 1,
            name: name.to_string(),
            title: String::new(),
            location: Location {
                file: "test.yaml".into(),
                line: 1,
                column: 1,
            },
            status: StepStatus::Completed,
            exchange: None,
            checks: Vec::new(),
            snapshot: None,
        }
    }

    #[test]
    fn later_scenarios_wait_for_earlier_ones_and_the_current_one_streams() {
        let scenarios = [scenario("a"), scenario("b"), scenario("c")];
        let mut recorder = Recorder::default();
        let mut order = InOrder::new(&mut recorder, &scenarios);
        order.started(0);
        order.started(1);
        order.started(2);
        order.step_finished(2, &step("c1"));
        order.finished(2, &ScenarioResult::skipped(&scenarios[2], String::new()));
        order.step_finished(1, &step("b1"));
        order.step_finished(0, &step("a1"));
        order.finished(0, &ScenarioResult::skipped(&scenarios[0], String::new()));
        order.step_finished(1, &step("b2"));
        order.finished(1, &ScenarioResult::skipped(&scenarios[1], String::new()));
        assert_eq!(
            recorder.0,
            [
                "start a",
                "step a a1",
                "end a",
                "start b",
                "step b b1",
                "step b b2",
                "end b",
                "start c",
                "step c c1",
                "end c",
            ]
        );
    }
}
